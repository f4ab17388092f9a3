/**
 * Panel and query factories shared by the streamgate dashboards, so every panel reads the
 * same Prometheus data source variable and looks the same. Metric names: catalog.ts.
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as heatmap from '@grafana/grafana-foundation-sdk/heatmap';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

/** Every query goes to the data source picked in the `datasource` variable. */
export const PROMETHEUS: dashboard.DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

export function datasourceVariable(): dashboard.DatasourceVariableBuilder {
  return new dashboard.DatasourceVariableBuilder('datasource').label('Data source').type('prometheus');
}

export interface Query {
  readonly expr: string;
  /** Series name shown in the legend, e.g. `{{stream}}`. */
  readonly legend?: string;
}

export function query(q: Query, refId: string, format = prometheus.PromQueryFormat.TimeSeries): prometheus.DataqueryBuilder {
  const builder = new prometheus.DataqueryBuilder().expr(q.expr).refId(refId).datasource(PROMETHEUS).format(format);
  return q.legend ? builder.legendFormat(q.legend) : builder;
}

const refIds = (queries: readonly Query[]) => queries.map((q, i) => query(q, String.fromCharCode(65 + i)));

export interface PanelSize {
  /** Width in grid columns (24 across). */
  readonly w: number;
  readonly h: number;
}

export function timeSeries(title: string, description: string, unit: string, queries: readonly Query[], size: PanelSize): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(PROMETHEUS)
    .targets(refIds(queries))
    .unit(unit)
    .min(0)
    .fillOpacity(10)
    .lineWidth(1)
    .showPoints(common.VisibilityMode.Never)
    .legend(new common.VizLegendOptionsBuilder().displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom).showLegend(true).calcs([]))
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending))
    .span(size.w)
    .height(size.h);
}

export interface Threshold {
  readonly value: number | null;
  readonly color: string;
}

export function statPanel(title: string, description: string, unit: string, q: Query, thresholds: readonly Threshold[], size: PanelSize): stat.PanelBuilder {
  return new stat.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(PROMETHEUS)
    .targets([query(q, 'A')])
    .unit(unit)
    .colorMode(common.BigValueColorMode.Background)
    .graphMode(common.BigValueGraphMode.Area)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .thresholds(new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(thresholds.map((t) => ({ ...t }))))
    .span(size.w)
    .height(size.h);
}

/** Value mapping for 0/1 gauges such as streamgate_stream_up and streamgate_bus_connected. */
export function upDownMappings(up: string, down: string): dashboard.ValueMapping[] {
  return [{
    type: dashboard.MappingType.ValueToText,
    options: { '0': { text: down, color: 'red', index: 0 }, '1': { text: up, color: 'green', index: 1 } },
  }];
}

export function latencyHeatmap(title: string, description: string, expr: string, size: PanelSize): heatmap.PanelBuilder {
  return new heatmap.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(PROMETHEUS)
    .targets([query({ expr, legend: '{{le}}' }, 'A', prometheus.PromQueryFormat.Heatmap)])
    .calculate(false)
    .yAxis(new heatmap.YAxisConfigBuilder().unit('s'))
    .color(new heatmap.HeatmapColorOptionsBuilder().mode(heatmap.HeatmapColorMode.Scheme).scheme('Oranges').steps(64).fill('dark-orange').scale(heatmap.HeatmapColorScale.Exponential).exponent(0.5))
    .cellGap(1)
    .span(size.w)
    .height(size.h);
}

/** Gives every panel and row a unique id in layout order (Grafana links and edits use them). */
export function numberPanels(d: dashboard.Dashboard): dashboard.Dashboard {
  (d.panels ?? []).forEach((p, i) => { p.id = i + 1; });
  return d;
}
