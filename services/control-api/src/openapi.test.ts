import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStateStore, ServiceContext, createServiceContext } from '@streamgate/platform';
import { RunningControlApi, startControlApi } from './index';

/** The OpenAPI document is generated from the code and every route carries an example. */
let ctx: ServiceContext;
let api: RunningControlApi;
before(async () => {
  ctx = await createServiceContext('control-api', { store: new MemoryStateStore(), config: { HOST: '127.0.0.1', PORT: 0, LOG_LEVEL: 'silent' } });
  api = await startControlApi(ctx);
});
after(async () => {
  await api.stop();
  await ctx.bus.close();
});

const ROUTES = [
  'get /api/health', 'get /api/streams', 'post /api/streams', 'get /api/streams/{name}', 'delete /api/streams/{name}',
  'post /api/streams/{name}/start', 'post /api/streams/{name}/stop', 'get /api/streams/{name}/frame', 'get /api/streams/{name}/events',
  'post /api/config/streams', 'post /start', 'get /streams', 'post /stop', 'get /api/console',
  'get /api/session', 'post /api/session', 'delete /api/session',
];

test('every route is in /api/openapi.json with an example, and the UI is served', async () => {
  const base = `http://127.0.0.1:${api.httpPort}`;
  const doc = (await (await fetch(`${base}/api/openapi.json`)).json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
  assert.match(doc.openapi, /^3\./);
  const found = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`)).sort();
  assert.deepEqual(found, [...ROUTES].sort());
  for (const route of ROUTES) {
    const [method, path] = route.split(' ');
    const op = JSON.stringify(doc.paths[path][method]);
    assert.match(op, /"examples?"\s*:/, `${route} has an example`);
  }
  const ui = await fetch(`${base}/api/docs`);
  assert.equal(ui.status, 200);
  assert.match(await ui.text(), /swagger/i);
});
