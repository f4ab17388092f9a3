import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStateStore } from '../store/memory-store';
import { RedisStateStore } from '../store/redis-store';
import type { StateStore } from '../store/state-store';
import { RealServer, startRedisServer } from '@streamgate/platform/testing';
import { OwnershipManager, ReleaseReason } from './ownership-manager';
import { preferredOwner } from './rendezvous';

const cameras = Array.from({ length: 60 }, (_x, i) => `cam${i}`);

test('rendezvous: adding a fifth instance moves about a fifth of the keys, never between the others', () => {
  const four = ['a', 'b', 'c', 'd'];
  const keys = Array.from({ length: 2000 }, (_x, i) => `k${i}`);
  let moved = 0;
  for (const k of keys) {
    const before = preferredOwner(k, four);
    const afterOwner = preferredOwner(k, [...four, 'e']);
    if (before !== afterOwner) {
      moved++;
      assert.equal(afterOwner, 'e', 'keys only move to the newcomer');
    }
  }
  assert.ok(moved > 300 && moved < 500, `moved ${moved} of 2000`);
});

function manager(store: StateStore, id: string, log: string[], resources = cameras): OwnershipManager {
  return new OwnershipManager(store, {
    group: 'ingest', instanceId: id, leaseTtlMs: 600, heartbeatTtlMs: 400, tickMs: 100,
    resources: async () => resources,
    onAcquire: (k) => void log.push(`${id}+${k}`),
    onRelease: (k, why: ReleaseReason) => void log.push(`${id}-${k}:${why}`),
  });
}

function runOwnershipSuite(name: string, makeStore: () => Promise<StateStore>): void {
  describe(`ownership over ${name}`, () => {
    test('two instances split the keys with no overlap; a third joining moves only its share', async () => {
      const store = await makeStore();
      const log: string[] = [];
      const a = manager(store, 'a', log);
      const b = manager(store, 'b', log);
      await a.tick();
      assert.equal(a.owned().length, cameras.length, 'alone, a owns all');
      await b.tick();
      await a.tick();
      await b.tick();
      const ownedA = new Set(a.owned());
      const ownedB = new Set(b.owned());
      assert.equal(ownedA.size + ownedB.size, cameras.length);
      for (const k of ownedA) assert.ok(!ownedB.has(k), `${k} owned twice`);
      assert.ok(ownedB.size > 15 && ownedB.size < 45, `b took ${ownedB.size}`);
      const c = manager(store, 'c', log);
      await c.tick();
      await a.tick();
      await b.tick();
      await c.tick();
      const moved = c.owned().length;
      assert.ok(moved > 8 && moved < 35, `c took ${moved}`);
      const all = [...a.owned(), ...b.owned(), ...c.owned()];
      assert.equal(new Set(all).size, cameras.length);
      assert.equal(all.length, cameras.length, 'nothing owned twice');
      for (const m of [a, b, c]) await m.stop();
      await store.close();
    });

    test('a dead instance\'s keys are taken over after its heartbeat and lease expire', async () => {
      const store = await makeStore();
      const log: string[] = [];
      const a = manager(store, 'a2', log);
      const b = manager(store, 'b2', log);
      await a.tick();
      await b.tick();
      await a.tick();
      await b.tick();
      const orphaned = b.owned();
      assert.ok(orphaned.length > 0);
      // b "dies": no stop(), no release; only its timers stop.
      const t0 = Date.now();
      while (a.owned().length < cameras.length && Date.now() - t0 < 5000) {
        await a.tick();
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(a.owned().length, cameras.length);
      // Heartbeat (600) and lease (400) expiry plus scheduling slack: 1524 ms was seen at a load
      // average of 22, so the slack is 1.5 s; a takeover that waits for the 5 s loop still fails.
      assert.ok(Date.now() - t0 <= 600 + 400 + 1500, `takeover took ${Date.now() - t0} ms`);
      await a.stop();
      await store.close();
    });

    test('stop releases every lease so another instance takes over at once', async () => {
      const store = await makeStore();
      const log: string[] = [];
      const a = manager(store, 'a3', log, ['x', 'y']);
      await a.tick();
      await a.stop();
      assert.ok(log.includes('a3-x:shutdown'));
      const b = manager(store, 'b3', log, ['x', 'y']);
      await b.tick();
      assert.deepEqual(b.owned(), ['x', 'y']);
      await b.stop();
      await store.close();
    });
  });
}

runOwnershipSuite('memory', async () => new MemoryStateStore());

let redis: RealServer | undefined;
after(() => redis?.stop());
let ns = 0;
runOwnershipSuite('redis', async () => {
  redis ??= await startRedisServer();
  const s = new RedisStateStore({ url: redis.url, keyPrefix: `own${ns++}:` });
  await s.ready();
  return s;
});
