import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { StateStore } from '@streamgate/platform';

/** Behaviour every StateStore driver must have (memory and Redis run the same suite). */
export function runStoreContract(driverName: string, makeStore: () => Promise<StateStore>, prefix = 'contract/'): void {
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  describe(`StateStore contract: ${driverName}`, () => {
    test('set/get/delete round trip', async () => {
      const s = await makeStore();
      try {
        assert.equal(await s.get(`${prefix}a`), undefined);
        assert.equal(await s.set(`${prefix}a`, '1'), true);
        assert.equal(await s.get(`${prefix}a`), '1');
        assert.equal(await s.delete(`${prefix}a`), true);
        assert.equal(await s.delete(`${prefix}a`), false);
        assert.equal(await s.get(`${prefix}a`), undefined);
      } finally {
        await s.close();
      }
    });

    test('onlyIfAbsent is SET NX: the second writer loses', async () => {
      const s = await makeStore();
      try {
        await s.delete(`${prefix}lease`);
        assert.equal(await s.set(`${prefix}lease`, 'owner-a', { onlyIfAbsent: true, ttlMs: 5000 }), true);
        assert.equal(await s.set(`${prefix}lease`, 'owner-b', { onlyIfAbsent: true, ttlMs: 5000 }), false);
        assert.equal(await s.get(`${prefix}lease`), 'owner-a');
        await s.delete(`${prefix}lease`);
      } finally {
        await s.close();
      }
    });

    test('compare-and-delete and compare-and-renew only act for the holder', async () => {
      const s = await makeStore();
      try {
        await s.set(`${prefix}lease2`, 'owner-a', { ttlMs: 300 });
        assert.equal(await s.expire(`${prefix}lease2`, 5000, { ifValue: 'owner-b' }), false);
        assert.equal(await s.delete(`${prefix}lease2`, { ifValue: 'owner-b' }), false);
        assert.equal(await s.expire(`${prefix}lease2`, 5000, { ifValue: 'owner-a' }), true);
        await sleep(400);
        assert.equal(await s.get(`${prefix}lease2`), 'owner-a', 'renewed lease outlives its first TTL');
        assert.equal(await s.delete(`${prefix}lease2`, { ifValue: 'owner-a' }), true);
      } finally {
        await s.close();
      }
    });

    test('keys expire after their TTL', async () => {
      const s = await makeStore();
      try {
        await s.set(`${prefix}ttl`, 'x', { ttlMs: 150 });
        assert.equal(await s.get(`${prefix}ttl`), 'x');
        await sleep(300);
        assert.equal(await s.get(`${prefix}ttl`), undefined);
        assert.equal(await s.expire(`${prefix}ttl`, 1000), false);
      } finally {
        await s.close();
      }
    });

    test('list returns live entries under a prefix, sorted', async () => {
      const s = await makeStore();
      try {
        await s.set(`${prefix}list/b`, '2');
        await s.set(`${prefix}list/a`, '1');
        await s.set(`${prefix}list/gone`, '3', { ttlMs: 50 });
        await s.set(`${prefix}other`, 'x');
        await sleep(120);
        assert.deepEqual(await s.list(`${prefix}list/`), [
          { key: `${prefix}list/a`, value: '1' },
          { key: `${prefix}list/b`, value: '2' },
        ]);
        for (const k of ['list/a', 'list/b', 'other']) await s.delete(`${prefix}${k}`);
      } finally {
        await s.close();
      }
    });
  });
}
