import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServiceContext, ServiceContext } from '@streamgate/platform';
import { MemoryStateStore } from '@streamgate/platform';
import { RunningControlApi, startControlApi } from '../index';

describe('RTMP converter API (/start, /streams, /stop)', () => {
  let ctx: ServiceContext;
  let api: RunningControlApi;
  let base: string;
  const kicked: string[] = [];

  before(async () => {
    ctx = await createServiceContext('control-api', {
      store: new MemoryStateStore(),
      config: { HOST: '127.0.0.1', PORT: 0, RTSP_PORT: 8554, RTMP_PORT: 1935, LOG_LEVEL: 'silent' },
    });
    // The ingest side of `ingest.rtmp.kick`, as the ingest service answers it.
    ctx.bus.subscribe('ingest.rtmp.kick', (m) => {
      const { stream } = JSON.parse(new TextDecoder().decode(m.data)) as { stream: string };
      kicked.push(stream);
      m.respond(new TextEncoder().encode(JSON.stringify({ ok: stream === 'live1' })));
    });
    api = await startControlApi(ctx);
    base = `http://127.0.0.1:${api.httpPort}`;
  });

  after(async () => {
    await api.stop();
    await ctx.bus.close();
  });

  const post = (path: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<Response> =>
    fetch(`${base}${path}`, { method: 'POST', body, headers });

  test('POST /start registers a key and returns its publish and play URLs', async () => {
    const res = await post('/start', JSON.stringify({ stream_key: 'drone1' }));
    assert.equal(res.status, 200);
    const { publish_token: token, publish_url: publishUrl, ...rest } = (await res.json()) as Record<string, unknown>;
    assert.deepEqual(rest, {
      status: 'started', stream_key: 'drone1',
      rtmp_url: 'rtmp://127.0.0.1:1935/live/drone1', rtsp_url: 'rtsp://127.0.0.1:8554/drone1',
    });
    // The key's publish token is returned once (32 base64url characters) and never listed again.
    assert.match(String(token), /^[A-Za-z0-9_-]{32}$/);
    assert.equal(publishUrl, `rtmp://127.0.0.1:1935/live/drone1?token=${String(token)}`);
    assert.ok(!JSON.stringify(await (await fetch(`${base}/streams`)).json()).includes(String(token)), 'the token is not listed');
    const list = (await (await fetch(`${base}/streams`)).json()) as { total: number; streams: Record<string, unknown>[] };
    const entry = list.streams.find((s) => s.stream_key === 'drone1');
    assert.equal(entry?.enabled, true);
    assert.equal(entry?.active, false);
    assert.equal(entry?.registered, true);
    assert.equal(list.total, list.streams.length);
  });

  test('POST /start refuses bad keys, bad JSON, wrong types and huge bodies with clear 4xx', async () => {
    const cases: [string, number, RegExp][] = [
      [JSON.stringify({ stream_key: '../etc/passwd' }), 400, /stream_key/],
      [JSON.stringify({ stream_key: 'a'.repeat(65) }), 400, /stream_key/],
      [JSON.stringify({ stream_key: 'caméra' }), 400, /stream_key/],
      [JSON.stringify({ stream_key: 42 }), 400, /stream_key must be a string/],
      [JSON.stringify({}), 400, /stream_key is required/],
      [JSON.stringify([1, 2]), 400, /JSON object/],
      ['{"stream_key": ', 400, /not valid JSON/],
    ];
    for (const [body, status, message] of cases) {
      const res = await post('/start', body);
      const json = (await res.json()) as { message: string; statusCode: number };
      assert.equal(res.status, status, body);
      assert.equal(json.statusCode, status);
      assert.match(String(json.message), message, body);
    }
    const huge = await post('/start', JSON.stringify({ stream_key: 'x', pad: 'a'.repeat(10 * 1024 * 1024) }));
    assert.equal(huge.status, 413);
  });

  test('POST /stop disconnects the publisher through ingest and disables the key', async () => {
    await post('/start', JSON.stringify({ stream_key: 'live1' }));
    const res = await post('/stop', JSON.stringify({ stream_key: 'live1' }));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'stopped', stream_key: 'live1', disconnected: true });
    assert.ok(kicked.includes('live1'));
    const list = (await (await fetch(`${base}/streams`)).json()) as { streams: Record<string, unknown>[] };
    assert.equal(list.streams.find((s) => s.stream_key === 'live1')?.enabled, false);
  });

  test('POST /stop of a key nobody knows is 404', async () => {
    const res = await post('/stop', JSON.stringify({ stream_key: 'never_seen' }));
    assert.equal(res.status, 404);
    assert.match(((await res.json()) as { message: string }).message, /never_seen/);
  });

  test('GET /streams merges live status written by the services', async () => {
    await ctx.store.set('status/pushed/ingest', JSON.stringify({ source: 'rtmp', publishing: true, bytes_received: 1234, frames_received: 10, started_at: 1 }), { ttlMs: 10_000 });
    await ctx.store.set('status/pushed/rtsp-egress', JSON.stringify({ readers: 3, bytes_sent: 99 }), { ttlMs: 10_000 });
    await ctx.store.set('status/pushed/packetizer', JSON.stringify({ fps: 25, bitrate_kbps: 800 }), { ttlMs: 10_000 });
    const list = (await (await fetch(`${base}/streams`)).json()) as { streams: Record<string, unknown>[] };
    const s = list.streams.find((x) => x.stream_key === 'pushed');
    assert.equal(s?.active, true);
    assert.equal(s?.enabled, true, 'zero-config: any key publishes');
    assert.equal(s?.readers, 3);
    assert.equal(s?.fps, 25);
    assert.equal(s?.bytes_received, 1234);
  });

  test('GET /api/health and the OpenAPI document', async () => {
    const health = await fetch(`${base}/api/health`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
    const doc = (await (await fetch(`${base}/api/openapi.json`)).json()) as { paths: Record<string, unknown> };
    for (const p of ['/start', '/stop', '/streams', '/api/health']) assert.ok(doc.paths[p], p);
  });
});
