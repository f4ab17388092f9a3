import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessBus } from './in-process-bus';
import { runBusContract } from './bus-contract';

runBusContract('in-process', async () => new InProcessBus({ maxPayload: 1024 * 1024, onHandlerError: () => undefined }));

test('in-process delivery is asynchronous: never inside publish', async () => {
  const bus = new InProcessBus();
  let delivered = false;
  bus.subscribe('a.b', () => {
    delivered = true;
  });
  bus.publish('a.b', new Uint8Array([1]));
  assert.equal(delivered, false);
  await bus.flush();
  assert.equal(delivered, true);
  await bus.close();
});

test('in-process fan-out hands every subscriber the same bytes (no copy)', async () => {
  const bus = new InProcessBus();
  const seen: Uint8Array[] = [];
  bus.subscribe('a.b', (m) => seen.push(m.data));
  bus.subscribe('a.*', (m) => seen.push(m.data));
  const data = new Uint8Array([1, 2, 3]);
  bus.publish('a.b', data);
  await bus.flush();
  assert.equal(seen.length, 2);
  assert.equal(seen[0], data);
  assert.equal(seen[1], data);
  await bus.close();
});
