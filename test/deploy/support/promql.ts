import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { stringify } from 'yaml';
import { promtoolPath, repoPath, runTool } from './repo';

/** Grafana's built-in variables replaced by plain durations so Prometheus can parse the query. */
const GRAFANA_DURATIONS: Record<string, string> = {
  __rate_interval: '1m',
  __interval: '1m',
  __range: '1h',
};

/** Makes a dashboard query plain PromQL: built-in intervals become durations, `$stream` a value. */
export function withoutGrafanaVariables(expr: string): string {
  return expr.replace(/\$\{?(\w+)\}?/g, (_, name: string) => GRAFANA_DURATIONS[name] ?? 'x');
}

/**
 * Asks promtool whether each expression parses, by checking a synthetic rules file that
 * records every expression. Returns promtool's complaint, or undefined when all parse.
 */
export function promtoolParseErrors(exprs: readonly string[]): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'streamgate-promql-'));
  try {
    const file = join(dir, 'exprs.rules.yml');
    const rules = exprs.map((expr, i) => ({ record: `streamgate_check:expr_${i}`, expr }));
    writeFileSync(file, stringify({ groups: [{ name: 'parse-check', rules }] }));
    const r = runTool(promtoolPath(), ['check', 'rules', file]);
    return r.code === 0 ? undefined : `${r.stdout}\n${r.stderr}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Labels every series carries: the registry's default label and Prometheus' target labels. */
export const TARGET_LABELS = ['service', 'job', 'instance', 'namespace', 'pod', 'container', 'endpoint'];

/**
 * Metrics defined in libs/platform/src/metrics/catalog.ts with their label names; a histogram
 * also yields its `_bucket` (with `le`), `_sum` and `_count` series.
 */
export function catalogMetrics(): Map<string, string[]> {
  const source = readFileSync(repoPath('libs', 'platform', 'src', 'metrics', 'catalog.ts'), 'utf8');
  const metrics = new Map<string, string[]>();
  const pattern = /new (Counter|Gauge|Histogram)\(\{\s*name:\s*'([a-z_:][a-z0-9_:]*)'(?:[^}]*?labelNames:\s*\[([^\]]*)\])?/g;
  for (const m of source.matchAll(pattern)) {
    const labels = [...(m[3] ?? '').matchAll(/'([a-z_]+)'/g)].map((l) => l[1]);
    metrics.set(m[2], labels);
    if (m[1] === 'Histogram') {
      metrics.set(`${m[2]}_bucket`, [...labels, 'le']);
      metrics.set(`${m[2]}_sum`, labels);
      metrics.set(`${m[2]}_count`, labels);
    }
  }
  if (metrics.size === 0) throw new Error('no metrics found in catalog.ts: has its shape changed?');
  return metrics;
}

export interface SelectorUse {
  readonly metric: string;
  readonly labels: string[];
}

/** Every vector selector in an expression: its metric name and the label names it matches on. */
export function selectors(expr: string): SelectorUse[] {
  const out: SelectorUse[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.name !== 'VectorSelector') return;
      const id = node.node.getChild('Identifier');
      if (!id) throw new Error(`selector without a metric name in ${expr}`);
      const labels: string[] = [];
      const matchers = node.node.getChild('LabelMatchers');
      if (matchers) {
        for (let c = matchers.firstChild; c; c = c.nextSibling) {
          const label = c.getChild('LabelName');
          if (label) labels.push(expr.slice(label.from, label.to));
        }
      }
      out.push({ metric: expr.slice(id.from, id.to), labels });
    },
  });
  return out;
}

/** Label names used in by/without/on/ignoring clauses. */
export function groupingLabels(expr: string): string[] {
  const out: string[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.name !== 'GroupingLabels') return;
      for (let c = node.node.firstChild; c; c = c.nextSibling) if (c.name === 'LabelName') out.push(expr.slice(c.from, c.to));
    },
  });
  return out;
}

/** Whether the lezer grammar found a syntax error anywhere in the expression. */
export function hasSyntaxError(expr: string): boolean {
  let error = false;
  parser.parse(expr).iterate({ enter(node) { if (node.type.isError) error = true; } });
  return error;
}
