import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessBus } from './in-process-bus';
import { runBusContract } from '@streamgate/platform/testing';

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

test('in-process routes of a subject published to before follow later subscribes and unsubscribes', async () => {
  const bus = new InProcessBus();
  const got: string[] = [];
  const publish = async (): Promise<void> => {
    bus.publish('media.s1.out', new Uint8Array([1]));
    await bus.flush();
  };
  await publish(); // nobody yet: the empty route is what a later subscribe must replace
  const literal = bus.subscribe('media.s1.out', () => got.push('literal'));
  await publish();
  const wildcard = bus.subscribe('media.*.out', () => got.push('wildcard'));
  await publish();
  literal.unsubscribe();
  await publish();
  wildcard.unsubscribe();
  await publish();
  assert.deepEqual(got, ['literal', 'literal', 'wildcard', 'wildcard']);
  // Queue groups still take turns per message.
  const members: string[] = [];
  bus.subscribe('media.s1.out', () => members.push('a'), { queue: 'q' });
  bus.subscribe('media.s1.out', () => members.push('b'), { queue: 'q' });
  await publish();
  await publish();
  assert.deepEqual(members.sort(), ['a', 'b']);
  // Invalid subjects are still refused on every publish, cached or not.
  assert.throws(() => bus.publish('media..out', new Uint8Array(1)));
  await bus.close();
});

test('in-process: what handlers publish while messages are delivered comes after them, in publish order', async () => {
  const bus = new InProcessBus();
  const order: string[] = [];
  bus.subscribe('a.*', (m) => {
    order.push(m.subject);
    if (m.subject === 'a.1') bus.publish('a.3', new Uint8Array([3]));
  });
  bus.publish('a.1', new Uint8Array([1]));
  bus.publish('a.2', new Uint8Array([2]));
  await bus.flush();
  assert.deepEqual(order, ['a.1', 'a.2', 'a.3']);
  // A later publish is delivered too (the queue was left empty).
  bus.publish('a.4', new Uint8Array([4]));
  await bus.flush();
  assert.deepEqual(order, ['a.1', 'a.2', 'a.3', 'a.4']);
  await bus.close();
});
