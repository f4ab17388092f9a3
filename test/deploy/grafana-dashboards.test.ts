import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeErrors, sdkValidator } from './support/grafana-schema';
import { TARGET_LABELS, catalogMetrics, groupingLabels, promtoolParseErrors, selectors, withoutGrafanaVariables } from './support/promql';
import { repoPath, runTool } from './support/repo';

const DASHBOARDS = ['overview', 'stream'];
const committed = (dir: string, name: string) => readFileSync(join(dir, `${name}.json`), 'utf8');
const DEPLOY_DIR = repoPath('deploy', 'grafana', 'dashboards');
/** The chart's copies for the Grafana sidecar ConfigMaps (Helm reads only inside the chart). */
const CHART_DIR = repoPath('helm', 'streamgate', 'files', 'dashboards');

interface Target { expr?: string; refId?: string; datasource?: { uid?: string } }
interface Panel { id?: number; type: string; title?: string; targets?: Target[]; options?: unknown; fieldConfig?: { defaults?: { custom?: Record<string, unknown> } }; datasource?: { uid?: string } }
interface Variable { name: string; type: string; query?: unknown }
interface Dashboard { uid: string; title: string; panels: Panel[]; templating: { list: Variable[] } }

const load = (name: string) => JSON.parse(committed(DEPLOY_DIR, name)) as Dashboard;
const targets = (d: Dashboard) => d.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title ?? p.type, ...t })));

test('regenerating the dashboards from deploy/grafana/src gives the committed JSON (deploy and chart copies)', () => {
  const tsc = runTool(process.execPath, [repoPath('node_modules', 'typescript', 'bin', 'tsc'), '-p', repoPath('deploy', 'grafana', 'tsconfig.json')]);
  assert.equal(tsc.code, 0, tsc.stdout + tsc.stderr);
  const out = mkdtempSync(join(tmpdir(), 'streamgate-dashboards-'));
  try {
    const gen = runTool(process.execPath, [repoPath('dist', 'deploy', 'grafana', 'generate.js'), out]);
    assert.equal(gen.code, 0, gen.stderr);
    assert.deepEqual(readdirSync(out).sort(), DASHBOARDS.map((n) => `${n}.json`));
    for (const name of DASHBOARDS) {
      const fresh = committed(out, name);
      assert.equal(committed(DEPLOY_DIR, name), fresh, `${name}.json is stale: npx tsc -p deploy/grafana/tsconfig.json && node dist/deploy/grafana/generate.js`);
      assert.equal(committed(CHART_DIR, name), fresh, `helm copy of ${name}.json is stale: cp deploy/grafana/dashboards/*.json helm/streamgate/files/dashboards/`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

for (const name of DASHBOARDS) {
  test(`${name}.json validates against the dashboard, panel and Prometheus query schemas of the foundation SDK`, () => {
    const d = load(name);
    const dashboardSchema = sdkValidator('dashboard', 'Dashboard');
    assert.ok(dashboardSchema);
    assert.ok(dashboardSchema(d), describeErrors(dashboardSchema.errors));
    const querySchema = sdkValidator('prometheus', 'dataquery');
    assert.ok(querySchema);
    for (const p of d.panels) {
      for (const t of p.targets ?? []) assert.ok(querySchema(t), `${p.title}: ${describeErrors(querySchema.errors)}`);
      if (p.type === 'row') continue;
      const options = sdkValidator(p.type, 'Options');
      assert.ok(options, `no Options schema for panel type ${p.type}`);
      assert.ok(options(p.options), `${p.title} options: ${describeErrors(options.errors)}`);
      const custom = p.fieldConfig?.defaults?.custom;
      const fieldConfig = sdkValidator(p.type, 'FieldConfig');
      if (fieldConfig) assert.ok(fieldConfig(custom ?? {}), `${p.title} field config: ${describeErrors(fieldConfig.errors)}`);
      else assert.ok(custom === undefined || Object.keys(custom).length === 0, `${p.title}: ${p.type} has no custom field config`);
    }
  });

  test(`${name}.json: unique panel ids, every query on the datasource variable, titles and descriptions`, () => {
    const d = load(name);
    const ids = d.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
    assert.ok(d.templating.list.some((v) => v.name === 'datasource' && v.type === 'datasource'));
    for (const p of d.panels.filter((x) => x.type !== 'row')) {
      assert.ok(p.title, 'panel has a title');
      assert.equal(p.datasource?.uid, '${datasource}', p.title);
      assert.ok((p.targets ?? []).length > 0, `${p.title} has queries`);
      for (const t of p.targets ?? []) assert.equal(t.datasource?.uid, '${datasource}', p.title);
    }
  });
}

test('every dashboard query parses with promtool', () => {
  const exprs = DASHBOARDS.flatMap((n) => targets(load(n))).map((t) => withoutGrafanaVariables(t.expr ?? ''));
  assert.ok(exprs.length > 30);
  assert.equal(promtoolParseErrors(exprs), undefined);
});

test('a broken query is caught by the promtool parse check (the check itself works)', () => {
  assert.match(promtoolParseErrors(['sum(rate(streamgate_stream_fps[5m])']) ?? '', /parse error|could not parse/);
});

test('every metric and label in the dashboards exists in catalog.ts', () => {
  const catalog = catalogMetrics();
  const allLabels = new Set([...TARGET_LABELS, ...[...catalog.values()].flat()]);
  for (const name of DASHBOARDS) {
    for (const t of targets(load(name))) {
      const expr = withoutGrafanaVariables(t.expr ?? '');
      const used = selectors(expr);
      assert.ok(used.length > 0, `${t.panel}: no metric in ${t.expr}`);
      for (const sel of used) {
        const labels = catalog.get(sel.metric);
        assert.ok(labels, `${name} / ${t.panel}: ${sel.metric} is not in catalog.ts`);
        for (const l of sel.labels) assert.ok(labels.includes(l) || TARGET_LABELS.includes(l), `${name} / ${t.panel}: ${sel.metric} has no label ${l}`);
      }
      for (const l of groupingLabels(expr)) assert.ok(allLabels.has(l), `${name} / ${t.panel}: unknown label ${l}`);
    }
  }
});

test('overview covers streams, bitrate, readers, errors, reconnects, latency p99 and NATS/Redis state', () => {
  const exprs = targets(load('overview')).map((t) => t.expr ?? '').join('\n');
  for (const metric of ['streamgate_stream_up', 'streamgate_stream_bitrate_bits_per_second', 'streamgate_stream_readers', 'streamgate_errors_total',
    'streamgate_stream_reconnects_total', 'streamgate_stream_latency_seconds_bucket', 'streamgate_bus_connected', 'streamgate_store_connected']) {
    assert.ok(exprs.includes(metric), `overview shows ${metric}`);
  }
  assert.match(exprs, /histogram_quantile\(0\.99,/);
});

test('stream drill-down: `stream` variable from label_values(streamgate_stream_up, stream), every query filtered by it', () => {
  const d = load('stream');
  const variable = d.templating.list.find((v) => v.name === 'stream');
  assert.equal(variable?.type, 'query');
  assert.equal(variable?.query, 'label_values(streamgate_stream_up, stream)');
  const all = targets(d);
  for (const t of all) assert.match(t.expr ?? '', /stream="\$stream"/, `${t.panel} filters by $stream`);
  const exprs = all.map((t) => t.expr).join('\n');
  for (const metric of ['streamgate_stream_bitrate_bits_per_second', 'streamgate_stream_fps', 'streamgate_stream_packets_lost_total', 'streamgate_stream_jitter_seconds',
    'streamgate_stream_readers', 'streamgate_stream_reconnects_total', 'streamgate_stream_latency_seconds_bucket']) {
    assert.ok(exprs.includes(metric), `stream dashboard shows ${metric}`);
  }
  assert.ok(d.panels.some((p) => p.type === 'heatmap'), 'latency histogram as a heatmap');
  assert.match(exprs, /sum by \(transport\) \(streamgate_stream_readers/);
});
