import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStateStore, RedisStateStore, StateStore } from '@streamgate/platform';
import { RealServer, startRedisServer } from '@streamgate/platform/testing';
import { StorePublisherRegistry } from './store-publisher-registry';

let redis: RealServer | undefined;
after(() => redis?.stop());

function suite(name: string, makeStore: () => Promise<StateStore>): void {
  describe(`RTMP publisher leases over ${name}`, () => {
    test('one publisher per key across instances; release frees it; generations increase', async () => {
      const store = await makeStore();
      const a = new StorePublisherRegistry(store, { leaseTtlMs: 1000 });
      const b = new StorePublisherRegistry(store, { leaseTtlMs: 1000 });
      try {
        assert.equal(await a.claim('drone1', 'session-a'), true);
        assert.equal(await b.claim('drone1', 'session-b'), false, 'second publisher on another instance refused');
        assert.equal(await a.claim('drone1', 'session-c'), false, 'second publisher on the same instance refused');
        assert.equal(await a.nextGeneration('drone1'), 1);
        await a.release('drone1', 'session-a');
        assert.equal(await b.claim('drone1', 'session-b'), true);
        assert.equal(await b.nextGeneration('drone1'), 2);
        await b.releaseAll();
      } finally {
        await store.close();
      }
    });

    test('a held lease is renewed past its TTL; a crashed holder frees the key after the TTL', async () => {
      const store = await makeStore();
      const a = new StorePublisherRegistry(store, { leaseTtlMs: 300, renewMs: 100 });
      const b = new StorePublisherRegistry(store, { leaseTtlMs: 300, renewMs: 100 });
      try {
        assert.equal(await a.claim('cam', 'a'), true);
        await new Promise((r) => setTimeout(r, 700));
        assert.equal(await b.claim('cam', 'b'), false, 'still held thanks to renewals');
        // Crash: renewals stop without a release.
        (a as unknown as { stopRenewing(s: string): void }).stopRenewing('cam');
        await new Promise((r) => setTimeout(r, 450));
        assert.equal(await b.claim('cam', 'b'), true, 'taken over after the TTL');
        await b.releaseAll();
      } finally {
        await store.close();
      }
    });

    test('a lease taken away is reported through onLost and no longer held', async () => {
      const store = await makeStore();
      const lost: string[] = [];
      const a = new StorePublisherRegistry(store, { leaseTtlMs: 300, renewMs: 50, onLost: (s) => lost.push(s) });
      try {
        assert.equal(await a.claim('cam', 'a'), true);
        await store.set('leases/rtmp/cam', 'someone-else');
        await new Promise((r) => setTimeout(r, 200));
        assert.deepEqual(lost, ['cam']);
        assert.equal(await a.claim('cam', 'a'), false, 'the other holder keeps it');
      } finally {
        await a.releaseAll();
        await store.close();
      }
    });
  });
}

suite('memory', async () => new MemoryStateStore());
let n = 0;
suite('redis', async () => {
  redis ??= await startRedisServer();
  const s = new RedisStateStore({ url: redis.url, keyPrefix: `pub${n++}:` });
  await s.ready();
  return s;
});

test('RTMP publisher lease: renewed for eight TTLs as seen from another client; re-taken after Redis restarts empty', { timeout: 30_000 }, async () => {
  const own = await startRedisServer();
  const mine = new RedisStateStore({ url: own.url });
  const theirs = new RedisStateStore({ url: own.url });
  const lost: string[] = [];
  const a = new StorePublisherRegistry(mine, { leaseTtlMs: 800, renewMs: 100, onLost: (s) => lost.push(s) });
  try {
    await Promise.all([mine.ready(), theirs.ready()]);
    assert.equal(await a.claim('drone', 'session-a'), true);
    const rival = new StorePublisherRegistry(theirs, { leaseTtlMs: 800 });
    let missing = 0;
    for (const until = Date.now() + 6400; Date.now() < until;) {
      if ((await theirs.get('leases/rtmp/drone')) !== 'session-a') missing++;
      assert.equal(await rival.claim('drone', 'session-b'), false, 'a rival never gets the key');
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(missing, 0, 'the lease was never missing: renewals on time');
    await own.stop('SIGKILL');
    await own.restart();
    await Promise.all([mine.ready(), theirs.ready()]);
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(await theirs.get('leases/rtmp/drone'), 'session-a', 're-taken by its holder');
    assert.deepEqual(lost, [], 'the publisher is not kicked');
  } finally {
    await a.releaseAll().catch(() => undefined);
    await mine.close();
    await theirs.close();
    await own.stop();
  }
});
