import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { TARGET_LABELS, catalogMetrics, groupingLabels, hasSyntaxError, selectors } from './support/promql';
import { promtoolPath, repoPath, runTool } from './support/repo';

const RULES = repoPath('deploy', 'prometheus', 'streamgate.rules.yml');
const RULE_TESTS = repoPath('deploy', 'prometheus', 'streamgate.rules.test.yml');
/** The chart cannot read outside its folder, so it embeds a copy that must stay identical. */
const CHART_COPY = repoPath('helm', 'streamgate', 'files', 'streamgate.rules.yml');

interface AlertRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleTestCase {
  alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[];
}

const alerts = (parse(readFileSync(RULES, 'utf8')) as { groups: { name: string; rules: AlertRule[] }[] }).groups.flatMap((g) => g.rules);

test('promtool check rules accepts the alert rules', () => {
  const r = runTool(promtoolPath(), ['check', 'rules', RULES]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /SUCCESS/);
});

test('promtool test rules: every unit test passes', () => {
  const r = runTool(promtoolPath(), ['test', 'rules', RULE_TESTS]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
});

test('every alert has a firing and a not-firing unit test', () => {
  const cases = (parse(readFileSync(RULE_TESTS, 'utf8')) as { tests: RuleTestCase[] }).tests.flatMap((t) => t.alert_rule_test ?? []);
  for (const rule of alerts) {
    const mine = cases.filter((c) => c.alertname === rule.alert);
    assert.ok(mine.some((c) => (c.exp_alerts ?? []).length > 0), `${rule.alert}: no firing test`);
    assert.ok(mine.some((c) => (c.exp_alerts ?? []).length === 0), `${rule.alert}: no not-firing test`);
  }
});

test('every alert has severity and runbook annotations (summary, description, runbook)', () => {
  assert.ok(alerts.length >= 8);
  for (const rule of alerts) {
    assert.ok(rule.alert, 'only alerting rules here');
    assert.match(rule.alert, /^Streamgate[A-Z][A-Za-z]+$/);
    assert.ok(['critical', 'warning', 'info'].includes(rule.labels?.severity ?? ''), `${rule.alert}: severity`);
    for (const key of ['summary', 'description', 'runbook']) {
      assert.ok((rule.annotations?.[key] ?? '').trim().length > 10, `${rule.alert}: annotation ${key}`);
    }
  }
  const names = alerts.map((r) => r.alert);
  for (const expected of ['StreamgateStreamDown', 'StreamgateStreamPacketLoss', 'StreamgateReconnectStorm', 'StreamgateIngestInstanceMissing',
    'StreamgateIngestAbsent', 'StreamgateNatsDisconnected', 'StreamgateRedisUnreachable', 'StreamgateSlowReadersDropped']) {
    assert.ok(names.includes(expected), `missing alert ${expected}`);
  }
});

test('alert expressions use only metrics and labels from the catalog', () => {
  const catalog = catalogMetrics();
  const allLabels = new Set([...TARGET_LABELS, ...[...catalog.values()].flat()]);
  for (const rule of alerts) {
    assert.ok(!hasSyntaxError(rule.expr), `${rule.alert}: ${rule.expr}`);
    for (const sel of selectors(rule.expr)) {
      if (sel.metric === 'up') continue; // Prometheus' own per-target series
      const labels = catalog.get(sel.metric);
      assert.ok(labels, `${rule.alert}: ${sel.metric} is not in catalog.ts`);
      for (const l of sel.labels) assert.ok(labels.includes(l) || TARGET_LABELS.includes(l), `${rule.alert}: ${sel.metric} has no label ${l}`);
    }
    for (const l of groupingLabels(rule.expr)) assert.ok(allLabels.has(l), `${rule.alert}: unknown label ${l} in grouping`);
  }
});

test('the chart embeds the same rules file', () => {
  assert.equal(readFileSync(CHART_COPY, 'utf8'), readFileSync(RULES, 'utf8'), 'cp deploy/prometheus/streamgate.rules.yml helm/streamgate/files/');
});
