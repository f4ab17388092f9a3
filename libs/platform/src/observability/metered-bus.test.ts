import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessBus } from '../bus/in-process-bus';
import { createMetricsCatalog } from '../metrics/catalog';
import { MeteredBus } from './metered-bus';

test('bus publishes are counted by kind; the counters show them when read (a scrape)', async () => {
  const metrics = createMetricsCatalog('test');
  const bus = new MeteredBus(new InProcessBus(), metrics);
  bus.subscribe('media.s.out', () => undefined);
  for (let i = 0; i < 3; i++) bus.publish('media.s.out', new Uint8Array(10));
  bus.publish('media.s.in', new Uint8Array(7));
  bus.publish('stream.s.events', new Uint8Array(2));
  const read = async (): Promise<string> => metrics.registry.metrics();
  let text = await read();
  assert.match(text, /^streamgate_bus_messages_total\{kind="media_out",service="test"\} 3$/m);
  assert.match(text, /^streamgate_bus_sent_bytes_total\{kind="media_out",service="test"\} 30$/m);
  assert.match(text, /^streamgate_bus_messages_total\{kind="media_in",service="test"\} 1$/m);
  assert.match(text, /^streamgate_bus_messages_total\{kind="event",service="test"\} 1$/m);
  assert.match(text, /^streamgate_bus_messages_total\{kind="control",service="test"\} 0$/m);
  bus.publish('media.s.out', new Uint8Array(5));
  text = await read();
  assert.match(text, /^streamgate_bus_messages_total\{kind="media_out",service="test"\} 4$/m, 'nothing counted twice, nothing lost');
  assert.match(text, /^streamgate_bus_sent_bytes_total\{kind="media_out",service="test"\} 35$/m);
  await bus.close();
});
