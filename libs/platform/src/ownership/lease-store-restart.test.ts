import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { RedisStateStore } from '../store/redis-store';
import { RealServer, startRedisServer } from '@streamgate/platform/testing';
import { OwnershipManager, ReleaseReason } from './ownership-manager';

/**
 * Leases are soft state (issue 13): Redis restarted without its data, or away for less than a
 * lease TTL, changes nothing anyone can see. Holders re-take what they held; no resource is
 * released, moved, or owned twice at any moment.
 */
const KEYS = Array.from({ length: 24 }, (_x, i) => `cam${i}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let redis: RealServer | undefined;
after(() => redis?.stop());

function manager(url: string, id: string, log: string[]): { m: OwnershipManager; store: RedisStateStore } {
  const store = new RedisStateStore({ url, keyPrefix: 'restart:' });
  const m = new OwnershipManager(store, {
    group: 'ingest', instanceId: id, leaseTtlMs: 1500, heartbeatTtlMs: 1500, tickMs: 150,
    resources: async () => KEYS,
    onAcquire: (k) => void log.push(`${id}+${k}`),
    onRelease: (k, why: ReleaseReason) => void log.push(`${id}-${k}:${why}`),
    onError: () => undefined,
  });
  return { m, store };
}

/** Samples both managers' owned sets every 10 ms: the keys ever owned by both at once. */
function overlapSampler(a: OwnershipManager, b: OwnershipManager): { stop(): string[] } {
  const doubles = new Set<string>();
  const timer = setInterval(() => {
    const mine = new Set(a.owned());
    for (const k of b.owned()) if (mine.has(k)) doubles.add(k);
  }, 10);
  return { stop: () => { clearInterval(timer); return [...doubles]; } };
}

test('Redis restarted without data, and away for less than a TTL: owners keep every resource, nothing moves', { timeout: 60_000 }, async () => {
  redis = await startRedisServer();
  const log: string[] = [];
  const a = manager(redis.url, 'a', log);
  const b = manager(redis.url, 'b', log);
  try {
    await Promise.all([a.store.ready(), b.store.ready()]);
    await a.m.start();
    await b.m.start();
    const t0 = Date.now();
    while (a.m.owned().length + b.m.owned().length !== KEYS.length || b.m.owned().length === 0) {
      assert.ok(Date.now() - t0 < 10_000, 'resources split between a and b');
      await sleep(50);
    }
    await sleep(500);
    const ownedA = a.m.owned();
    const ownedB = b.m.owned();
    const settledLog = log.length;
    const sampler = overlapSampler(a.m, b.m);

    // 1. Restart without data (non-persistent server): every lease and heartbeat is gone.
    await redis.stop('SIGKILL');
    await redis.restart();
    await Promise.all([a.store.ready(), b.store.ready()]);
    await sleep(3000);
    const holders = new Map((await a.store.list('leases/ingest/')).map((e) => [e.key.split('/')[2], e.value]));
    for (const k of ownedA) assert.equal(holders.get(k), 'a', `${k} re-taken by a`);
    for (const k of ownedB) assert.equal(holders.get(k), 'b', `${k} re-taken by b`);

    // 2. An outage shorter than the TTL.
    await redis.stop('SIGKILL');
    await sleep(600);
    await redis.restart();
    await Promise.all([a.store.ready(), b.store.ready()]);
    await sleep(2000);

    assert.deepEqual(sampler.stop(), [], 'no resource owned by both at any moment');
    assert.deepEqual(log.slice(settledLog), [], 'no release or acquire: nothing anyone could see');
    assert.deepEqual(a.m.owned(), ownedA);
    assert.deepEqual(b.m.owned(), ownedB);
  } finally {
    await a.m.stop().catch(() => undefined);
    await b.m.stop().catch(() => undefined);
    await a.store.close();
    await b.store.close();
  }
});
