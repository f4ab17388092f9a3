import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CHART, Manifest, helmLint, render, validateManifests } from './support/helm';
import { repoPath } from './support/repo';

const PRODUCTION = join(CHART, 'ci', 'production-values.yaml');

/** API versions served by Kubernetes 1.23 and later (GA; nothing deprecated or removed since). */
const SERVED_API_VERSIONS = new Set(['v1', 'apps/v1', 'policy/v1', 'autoscaling/v2', 'monitoring.coreos.com/v1']);

test('helm lint --strict passes with default and production values', () => {
  for (const valuesFiles of [[], [PRODUCTION]]) {
    const r = helmLint({ valuesFiles });
    assert.equal(r.code, 0, r.stdout + r.stderr);
  }
});

for (const [name, valuesFiles] of [['default values', []], ['ci/production-values.yaml', [PRODUCTION]]] as const) {
  test(`helm template (${name}): every manifest validates against the Kubernetes schemas (kubernetes-models)`, () => {
    const manifests = render({ valuesFiles });
    assert.ok(manifests.length >= 14);
    for (const m of manifests) assert.ok(SERVED_API_VERSIONS.has(m.apiVersion), `${m.kind} ${m.metadata.name}: ${m.apiVersion} is not served by Kubernetes 1.23+`);
    const results = validateManifests(manifests);
    assert.equal(results.length, manifests.length);
    const failures = results.filter((r) => r.error).map((r) => `${r.kind}/${r.name}: ${r.error}`);
    assert.deepEqual(failures, []);
  });
}

test('the schema check rejects a broken manifest (the validator itself works)', () => {
  const [deployment] = render().filter((m) => m.kind === 'Deployment');
  const broken = JSON.parse(JSON.stringify(deployment)) as Manifest & { spec: { replicas: unknown } };
  broken.spec.replicas = 'three';
  const [result] = validateManifests([broken]);
  assert.match(result.error ?? '', /replicas must be integer/);
  const [unknownKind] = validateManifests([{ apiVersion: 'apps/v1', kind: 'Deploymnet', metadata: { name: 'x' } }]);
  assert.match(unknownKind.error ?? '', /not a known kind/);
});

test('PrometheusRule embeds exactly the rules of deploy/prometheus/streamgate.rules.yml', () => {
  const rule = render({ valuesFiles: [PRODUCTION] }).find((m) => m.kind === 'PrometheusRule');
  assert.ok(rule);
  assert.deepEqual(rule.spec, parse(readFileSync(repoPath('deploy', 'prometheus', 'streamgate.rules.yml'), 'utf8')));
  assert.deepEqual(rule.metadata.labels?.release, 'kube-prometheus-stack');
});

test('dashboard ConfigMaps carry the generated dashboards, labelled for the Grafana sidecar', () => {
  const dashboards = render().filter((m) => m.kind === 'ConfigMap' && m.metadata.labels?.grafana_dashboard === '1');
  const files = readdirSync(repoPath('deploy', 'grafana', 'dashboards')).filter((f) => f.endsWith('.json')).sort();
  assert.deepEqual(dashboards.map((d) => Object.keys(d.data ?? {})).flat().sort(), files);
  for (const d of dashboards) {
    for (const [file, json] of Object.entries(d.data ?? {})) {
      assert.deepEqual(JSON.parse(json), JSON.parse(readFileSync(repoPath('deploy', 'grafana', 'dashboards', file), 'utf8')), file);
    }
  }
  assert.equal(render({ set: ['metrics.grafanaDashboards.enabled=false'] }).filter((m) => m.metadata.labels?.grafana_dashboard).length, 0);
});

test('the five Deployments come from one shared template', () => {
  const templates = readdirSync(join(CHART, 'templates'));
  const withDeployment = templates.filter((f) => /^kind: Deployment$/m.test(readFileSync(join(CHART, 'templates', f), 'utf8')));
  assert.deepEqual(withDeployment, ['_workload.tpl']);
  const deployments = render().filter((m) => m.kind === 'Deployment');
  assert.deepEqual(deployments.map((d) => d.metadata.labels?.['app.kubernetes.io/component']).sort(), ['control-api', 'hls-egress', 'ingest', 'packetizer', 'rtsp-egress']);
});

test('values.yaml documents every key (a comment above it or above its block of siblings)', () => {
  const lines = readFileSync(join(CHART, 'values.yaml'), 'utf8').split('\n');
  const sections = new Set(['global', 'image', 'serviceAccount', 'externalNats', 'externalRedis', 'nats', 'redis', 'ingest', 'packetizer', 'rtspEgress', 'controlApi', 'metrics']);
  const indentOf = (l: string) => l.length - l.trimStart().length;
  const keyOf = (l: string) => /^\s*([A-Za-z][A-Za-z0-9_]*):/.exec(l)?.[1];
  let parent = '';
  const undocumented: string[] = [];
  lines.forEach((line, i) => {
    const key = keyOf(line);
    if (!key) return;
    const indent = indentOf(line);
    if (indent === 0) parent = key;
    if (indent > 2 || (indent === 2 && !sections.has(parent))) return;
    for (let j = i - 1; j >= 0; j--) {
      const prev = lines[j];
      if (prev.trim() === '') { undocumented.push(`${i + 1}: ${line.trim()}`); return; }
      if (indentOf(prev) > indent && !prev.trimStart().startsWith('#')) continue; // a sibling's children
      if (prev.trimStart().startsWith('#')) return;
      if (indentOf(prev) === indent && keyOf(prev)) continue; // sibling in the same block
      undocumented.push(`${i + 1}: ${line.trim()}`);
      return;
    }
  });
  assert.deepEqual(undocumented, []);
});

test('values.schema.json accepts the production values and rejects a bad service type', () => {
  const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as { properties: Record<string, unknown> };
  const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(Object.keys(values).filter((k) => !(k in schema.properties)), [], 'every values.yaml key is in the schema');
  const r = helmLint({ set: ['rtspEgress.service.type=Ingress'] });
  assert.notEqual(r.code, 0);
  assert.match(r.stdout + r.stderr, /rtspEgress\.service\.type/);
});
