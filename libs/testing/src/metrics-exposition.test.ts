import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { declaredButUnset, doubledPrefixes } from './metrics-exposition';

test('a declared metric that no code sets is reported; setting it clears the report', async () => {
  const registry = new Registry();
  const gauge = new Gauge({ name: 'demo_streams', help: 'x', labelNames: ['state'], registers: [registry] });
  const counter = new Counter({ name: 'demo_errors_total', help: 'x', labelNames: ['kind'], registers: [registry] });
  const histogram = new Histogram({ name: 'demo_latency_seconds', help: 'x', labelNames: ['stream'], registers: [registry] });
  new Gauge({ name: 'demo_plain', help: 'x', registers: [registry] }); // unlabelled: prom-client prints 0
  assert.deepEqual(declaredButUnset(await registry.metrics()), ['demo_errors_total', 'demo_latency_seconds', 'demo_streams']);
  gauge.set({ state: 'up' }, 1);
  counter.inc({ kind: 'bus' }, 0);
  histogram.observe({ stream: 's' }, 0.01);
  assert.deepEqual(declaredButUnset(await registry.metrics()), []);
});

test('a prefix applied twice is reported (prom-client default metrics under a prefix ending in process_)', async () => {
  const doubled = new Registry();
  collectDefaultMetrics({ register: doubled, prefix: 'streamgate_process_' });
  const found = doubledPrefixes(await doubled.metrics());
  assert.ok(found.includes('streamgate_process_process_cpu_seconds_total'), found.join(', '));
  const right = new Registry();
  collectDefaultMetrics({ register: right, prefix: 'streamgate_' });
  assert.deepEqual(doubledPrefixes(await right.metrics()), []);
  assert.deepEqual(doubledPrefixes('# TYPE streamgate_streamgate_x gauge\n# TYPE a_b_c gauge\n# TYPE x_rtp_rtp gauge\n'), ['streamgate_streamgate_x', 'x_rtp_rtp']);
});

test('property: the exposition checks never throw and only name declared metrics', async () => {
  const fc = await import('fast-check');
  const line = fc.oneof(
    fc.constantFrom('# TYPE a_b counter', '# TYPE a_a gauge', 'a_b_total 1', 'a_a{x="1"} 2', '# HELP a_b x', ''),
    fc.string({ maxLength: 40 }),
  );
  fc.assert(fc.property(fc.array(line, { maxLength: 30 }), (lines) => {
    const text = lines.join('\n');
    const declared = new Set(lines.filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]));
    for (const name of [...declaredButUnset(text), ...doubledPrefixes(text)]) assert.ok(declared.has(name), name);
  }), { numRuns: 500 });
});
