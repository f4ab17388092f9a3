import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStateStore } from '../store/memory-store';
import { RedisStateStore } from '../store/redis-store';
import type { StateStore } from '../store/state-store';
import { RealServer, startRedisServer } from '@streamgate/platform/testing';
import { Lease } from './lease';
import { OwnershipManager, ReleaseReason } from './ownership-manager';

/**
 * Leases proven to renew (issue 13): a TTL far shorter than the test, a holder that must still
 * own every key after many TTLs, watched from a second client that polls the key and tries to
 * take it. A renew() that does nothing, or renews after the TTL, leaves the key missing or
 * takeable for a moment, and the watcher sees it.
 */
// Wide enough for a loaded 2-core machine (a 700 ms stall of the test process is tolerated), still
// far shorter than the test.
const TTL_MS = 800;
const TICK_MS = 100;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Watch {
  missing: number;
  stolen: number;
  polls: number;
}

/** Polls each lease key from another client for `ms`: present and held by `owner`, never takeable. */
async function watchLeases(store: StateStore, keys: string[], owner: string, ms: number): Promise<Watch> {
  const w: Watch = { missing: 0, stolen: 0, polls: 0 };
  const until = Date.now() + ms;
  while (Date.now() < until) {
    for (const key of keys) {
      const holder = await store.get(key);
      if (holder !== owner) w.missing++;
      if (await new Lease(store, key, 'rival', TTL_MS).acquire()) {
        w.stolen++;
        await store.delete(key, { ifValue: 'rival' });
      }
    }
    w.polls++;
    await sleep(20);
  }
  return w;
}

function manager(store: StateStore, id: string, resources: string[], log: string[]): OwnershipManager {
  return new OwnershipManager(store, {
    group: 'renew', instanceId: id, leaseTtlMs: TTL_MS, heartbeatTtlMs: TTL_MS, tickMs: TICK_MS,
    resources: async () => resources,
    onAcquire: (k) => void log.push(`${id}+${k}`),
    onRelease: (k, why: ReleaseReason) => void log.push(`${id}-${k}:${why}`),
  });
}

function suite(name: string, stores: () => Promise<[StateStore, StateStore]>): void {
  describe(`lease renewal over ${name}`, () => {
    test('a running holder keeps every lease for eight TTLs, as seen from another client', async () => {
      const [mine, theirs] = await stores();
      const log: string[] = [];
      const a = manager(mine, 'holder', ['k1', 'k2', 'k3'], log);
      try {
        await a.start();
        assert.deepEqual(a.owned(), ['k1', 'k2', 'k3']);
        const w = await watchLeases(theirs, ['k1', 'k2', 'k3'].map((k) => `leases/renew/${k}`), 'holder', TTL_MS * 8);
        assert.ok(w.polls > 50, `${w.polls} polls`);
        assert.equal(w.missing, 0, `lease missing in ${w.missing} polls: renewal stopped or came late`);
        assert.equal(w.stolen, 0, `a rival took a lease ${w.stolen} times`);
        assert.deepEqual(log, ['holder+k1', 'holder+k2', 'holder+k3'], 'nothing released');
      } finally {
        await a.stop();
        await mine.close();
        await theirs.close();
      }
    });

    test('a lease whose key vanished is re-taken by its holder, not given up', async () => {
      const [mine, theirs] = await stores();
      const log: string[] = [];
      const a = manager(mine, 'h2', ['v1'], log);
      try {
        await a.start();
        await theirs.delete('leases/renew/v1');
        await sleep(TICK_MS * 3);
        assert.equal(await theirs.get('leases/renew/v1'), 'h2');
        assert.deepEqual(log, ['h2+v1'], 'no release, no second acquire callback');
      } finally {
        await a.stop();
        await mine.close();
        await theirs.close();
      }
    });

    test('a lease another instance holds now is given up as lost', async () => {
      const [mine, theirs] = await stores();
      const log: string[] = [];
      const a = manager(mine, 'h3', ['t1'], log);
      try {
        await a.start();
        await theirs.set('leases/renew/t1', 'thief', { ttlMs: 60_000 });
        await sleep(TICK_MS * 3);
        assert.ok(log.includes('h3-t1:lost'), log.join());
        assert.deepEqual(a.owned(), []);
      } finally {
        await a.stop();
        await theirs.delete('leases/renew/t1');
        await mine.close();
        await theirs.close();
      }
    });
  });
}

suite('memory', async () => {
  const s = new MemoryStateStore();
  // One store, two handles: closing either is a no-op.
  return [s, s];
});

let redis: RealServer | undefined;
after(() => redis?.stop());
let ns = 0;
suite('redis', async () => {
  redis ??= await startRedisServer();
  const prefix = `renew${ns++}:`;
  const a = new RedisStateStore({ url: redis.url, keyPrefix: prefix });
  const b = new RedisStateStore({ url: redis.url, keyPrefix: prefix });
  await Promise.all([a.ready(), b.ready()]);
  return [a, b];
});
