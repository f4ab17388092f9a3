import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RedisStateStore } from './redis-store';
import { RealServer, runStoreContract, startRedisServer } from '@streamgate/platform/testing';

let server: RealServer | undefined;
const url = async (): Promise<string> => {
  if (process.env.TEST_REDIS_URL) return process.env.TEST_REDIS_URL;
  server ??= await startRedisServer();
  return server.url;
};
after(() => server?.stop());

const namespace = `test-${process.pid}-${Date.now()}:`;
runStoreContract('redis', async () => {
  const s = new RedisStateStore({ url: await url(), keyPrefix: namespace });
  await s.ready();
  return s;
});

describe('Redis driver specifics', () => {
  test('glob characters in a prefix are literal', async () => {
    const s = new RedisStateStore({ url: await url(), keyPrefix: namespace });
    await s.ready();
    try {
      await s.set('glob/a*b/1', 'x');
      await s.set('glob/aXb/1', 'y');
      assert.deepEqual((await s.list('glob/a*b/')).map((e) => e.value), ['x']);
    } finally {
      await s.close();
    }
  });

  test('restart with persistence keeps the registry; commands fail fast while it is down', { timeout: 30_000 }, async () => {
    const own = await startRedisServer({ persistent: true });
    const s = new RedisStateStore({ url: own.url });
    try {
      await s.ready();
      await s.set('streams/cam1', '{"name":"cam1"}');
      await s.set('leases/ingest/cam1', 'a', { ttlMs: 60_000 });
      await own.stop('SIGTERM');
      const t0 = Date.now();
      await assert.rejects(s.get('streams/cam1'));
      assert.ok(Date.now() - t0 < 3000, 'no offline queue: the call fails at once');
      await own.restart();
      await s.ready(10_000);
      assert.equal(await s.get('streams/cam1'), '{"name":"cam1"}');
    } finally {
      await s.close();
      await own.stop();
    }
  });
});
