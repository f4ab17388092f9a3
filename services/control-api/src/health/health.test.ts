import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServiceContext } from '@streamgate/platform';
import { startNatsServer, startRedisServer } from '@streamgate/platform/testing';
import { startControlApi } from '../index';

test('health reports NATS and Redis when distributed, and 503 while one is down', { timeout: 60_000 }, async () => {
  const nats = await startNatsServer();
  const redis = await startRedisServer();
  const ctx = await createServiceContext('control-api', {
    config: { HOST: '127.0.0.1', PORT: 0, LOG_LEVEL: 'silent', NATS_URL: nats.url, REDIS_URL: redis.url },
  });
  const api = await startControlApi(ctx);
  const url = `http://127.0.0.1:${api.httpPort}/api/health`;
  try {
    let res = await fetch(url);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok', message: 'streamgate is running', bus: 'nats', store: 'redis', nats: 'up', redis: 'up' });
    await redis.stop('SIGKILL');
    res = await fetch(url);
    assert.equal(res.status, 503);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.redis, 'down');
    assert.match(String(body.message), /Redis unreachable/);
    await redis.restart();
    const deadline = Date.now() + 10_000;
    while ((await fetch(url)).status !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    assert.equal((await fetch(url)).status, 200);
  } finally {
    await api.stop();
    await ctx.bus.close();
    await ctx.store.close();
    await nats.stop();
    await redis.stop();
  }
});
