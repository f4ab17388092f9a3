import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetricsCatalog } from './catalog';

test('metric names follow Prometheus conventions and a deleted stream leaves no series', async () => {
  const m = createMetricsCatalog('test');
  for (let i = 0; i < 100; i++) {
    const stream = `s${i}`;
    m.packetsReceived.inc({ stream, track: '0' }, 10);
    m.readers.set({ stream, transport: 'tcp' }, 2);
    m.latency.observe({ stream }, 0.001);
    m.fps.set({ stream }, 25);
  }
  let text = await m.registry.metrics();
  assert.match(text, /streamgate_stream_packets_received_total\{stream="s42",track="0",service="test"\} 10/);
  for (let i = 0; i < 100; i++) await m.forgetStream(`s${i}`);
  text = await m.registry.metrics();
  assert.doesNotMatch(text, /stream="s\d+"/);
  for (const line of text.split('\n').filter((l) => l.startsWith('# TYPE streamgate_'))) {
    const [, , name, type] = line.split(' ');
    if (type === 'counter') assert.match(name, /_total$/, name);
    assert.match(name, /^streamgate_[a-z0-9_]+$/, name);
  }
});
