import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { REGISTRY_CHANGED_SUBJECT } from '@streamgate/contracts';
import { ContextOverrides, FileBackedStateStore, PERSISTED_PREFIXES, ServiceContext, createLogger, createServiceContext, decodeStreamConfig } from '@streamgate/platform';
import { RunningControlApi, startControlApi } from '../index';

const SECRET = 'Sup3r-S3cret-pw';
const API_KEY = 'test-api-key-123';

interface Harness { ctx: ServiceContext; api: RunningControlApi; base: string; logs: string[] }

async function startApi(dataDir: string, extra: ContextOverrides['config'] = {}): Promise<Harness> {
  const logs: string[] = [];
  const sink = new Writable({ write(chunk: Buffer, _e, cb) { logs.push(chunk.toString()); cb(); } });
  const ctx = await createServiceContext('control-api', {
    store: new FileBackedStateStore(join(dataDir, 'state.json'), PERSISTED_PREFIXES),
    config: { HOST: '127.0.0.1', PORT: 0, RTSP_PORT: 8554, LOG_LEVEL: 'debug', ...extra },
  });
  ctx.logger = createLogger({ service: 'control-api', level: 'debug', destination: sink });
  const api = await startControlApi(ctx);
  return { ctx, api, base: `http://127.0.0.1:${api.httpPort}`, logs };
}

async function stopApi(h: Harness): Promise<void> {
  await h.api.stop();
  await h.ctx.bus.close();
}

const json = (method: string, body?: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  headers: { 'content-type': 'application/json', ...headers },
});

describe('camera-stream API (/api/streams)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sg-api-'));
  let h: Harness;
  const announced: string[] = [];

  before(async () => {
    h = await startApi(dataDir);
    h.ctx.bus.subscribe(REGISTRY_CHANGED_SUBJECT, (m) => announced.push(new TextDecoder().decode(m.data)));
  });
  after(() => stopApi(h));

  test('POST creates (201) with the password write-only and the URL masked; the change is announced', async () => {
    const res = await fetch(`${h.base}/api/streams`, json('POST', {
      name: 'cam1', rtsp_url: `rtsp://admin:${SECRET}@10.1.2.3:554/Streaming/Channels/101`, enabled: false,
    }));
    assert.equal(res.status, 201);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.name, 'cam1');
    assert.equal(body.rtsp_url, 'rtsp://***:***@10.1.2.3:554/Streaming/Channels/101');
    assert.equal(body.play_url, 'rtsp://127.0.0.1:8554/cam1');
    assert.equal(body.enabled, false);
    assert.equal(body.connected, false);
    assert.equal(body.source, 'rtsp');
    for (const field of ['password', 'username']) assert.ok(!(field in body), field);
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(announced.some((a) => a.includes('"cam1"') && a.includes('created')));
  });

  test('POST with separate username/password, channel and subtype', async () => {
    const res = await fetch(`${h.base}/api/streams`, json('POST', {
      name: 'dahua', rtsp_url: 'rtsp://10.1.2.4:554', channel: 2, subtype: 1, username: 'admin', password: SECRET, enabled: false,
    }));
    assert.equal(res.status, 201);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.channel, 2);
    assert.equal(body.subtype, 1);
    assert.ok(!JSON.stringify(body).includes(SECRET));
  });

  test('409 when the name exists', async () => {
    const res = await fetch(`${h.base}/api/streams`, json('POST', { name: 'cam1', rtsp_url: 'rtsp://10.9.9.9/x' }));
    assert.equal(res.status, 409);
    assert.match(((await res.json()) as { message: string }).message, /cam1 already exists/);
  });

  test('400 naming the bad field: name pattern, URL scheme, types, unknown fields, bad JSON', async () => {
    const cases: [unknown, RegExp][] = [
      [{ name: 'bad name', rtsp_url: 'rtsp://h/x' }, /^name: /],
      [{ name: '../../etc', rtsp_url: 'rtsp://h/x' }, /^name: /],
      [{ name: 'ünïcode', rtsp_url: 'rtsp://h/x' }, /^name: /],
      [{ name: 'ok', rtsp_url: 'http://h/x' }, /^rtsp_url: .*rtsp:\/\//],
      [{ name: 'ok', rtsp_url: 'rtsp://' }, /^rtsp_url: /],
      [{ name: 'ok' }, /^rtsp_url: rtsp_url is required/],
      [{ name: 'ok', rtsp_url: 'rtsp://h/x', channel: 'one' }, /^channel: channel must be an integer/],
      [{ name: 'ok', rtsp_url: 'rtsp://h/x', enabled: 'yes' }, /^enabled: /],
      [{ name: 'ok', rtsp_url: 'rtsp://h/x', password: 42 }, /^password: password must be a string/],
      [{ name: 'ok', rtsp_url: 'rtsp://h/x', extra: 1 }, /extra/],
      ['{"name": "ok", ', /not valid JSON/],
      ['[]', /JSON object/],
    ];
    for (const [body, message] of cases) {
      const res = await fetch(`${h.base}/api/streams`, json('POST', body));
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(((await res.json()) as { message: string }).message, message, JSON.stringify(body));
    }
  });

  test('10 MB body is refused with 413', async () => {
    const res = await fetch(`${h.base}/api/streams`, json('POST', { name: 'big', rtsp_url: 'rtsp://h/x', pad: 'x'.repeat(10 << 20) }));
    assert.equal(res.status, 413);
  });

  test('GET list and one; 404 for unknown, path traversal and invalid names', async () => {
    const list = (await (await fetch(`${h.base}/api/streams`)).json()) as { total: number; streams: { name: string }[] };
    assert.deepEqual(list.streams.map((s) => s.name), ['cam1', 'dahua']);
    assert.equal(list.total, 2);
    const one = (await (await fetch(`${h.base}/api/streams/cam1`)).json()) as Record<string, unknown>;
    assert.equal(one.last_frame_time, null);
    for (const path of ['nope', '..%2F..%2Fetc%2Fpasswd', '%E2%9C%93', 'a'.repeat(65)]) {
      const res = await fetch(`${h.base}/api/streams/${path}`);
      assert.equal(res.status, 404, path);
      assert.equal(((await res.json()) as { statusCode: number }).statusCode, 404);
    }
  });

  test('start/stop toggle enabled and are announced; 404 for unknown', async () => {
    let res = await fetch(`${h.base}/api/streams/cam1/start`, json('POST'));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'started', name: 'cam1' });
    assert.equal(((await (await fetch(`${h.base}/api/streams/cam1`)).json()) as { enabled: boolean }).enabled, true);
    res = await fetch(`${h.base}/api/streams/cam1/stop`, json('POST'));
    assert.deepEqual(await res.json(), { status: 'stopped', name: 'cam1' });
    assert.equal((await fetch(`${h.base}/api/streams/ghost/start`, json('POST'))).status, 404);
    assert.equal((await fetch(`${h.base}/api/streams/ghost/stop`, json('POST'))).status, 404);
  });

  test('frame: 404 for an unknown stream, 409 with a JSON reason when there is no frame yet, 400 for a bad format', async () => {
    assert.equal((await fetch(`${h.base}/api/streams/ghost/frame`)).status, 404);
    const res = await fetch(`${h.base}/api/streams/cam1/frame`);
    assert.equal(res.status, 409);
    assert.match(((await res.json()) as { message: string }).message, /no frame yet/);
    assert.equal((await fetch(`${h.base}/api/streams/cam1/frame?format=gif`)).status, 400);
    assert.equal((await fetch(`${h.base}/api/streams/cam1/frame?latest=maybe`)).status, 400);
  });

  test('POST /api/config/streams: adds and updates; one bad entry does not stop the others', async () => {
    const res = await fetch(`${h.base}/api/config/streams`, json('POST', { streams: [
      { name: 'bulk1', rtsp_url: 'rtsp://10.0.0.1/a', enabled: false },
      { name: 'cam1', rtsp_url: 'rtsp://10.1.2.3:554/Streaming/Channels/102', enabled: false },
      { name: 'bad one', rtsp_url: 'rtsp://10.0.0.2/a' },
      { name: 'bulk2', rtsp_url: 'ftp://10.0.0.3/a' },
      'not an object',
    ] }));
    assert.equal(res.status, 200);
    const body = (await res.json()) as { created: number; updated: number; failed: number; results: { name: string | null; status: string; reason?: string }[] };
    assert.deepEqual(body.results.map((r) => r.status), ['created', 'updated', 'failed', 'failed', 'failed']);
    assert.match(body.results[2].reason ?? '', /^name: /);
    assert.match(body.results[3].reason ?? '', /^rtsp_url: /);
    assert.equal(body.created, 1);
    assert.equal(body.updated, 1);
    assert.equal(body.failed, 3);
    assert.equal((await fetch(`${h.base}/api/config/streams`, json('POST', { streams: 'x' }))).status, 400);
  });

  test('SSE: a status event at once, another when a watched field changes', async () => {
    const ac = new AbortController();
    const res = await fetch(`${h.base}/api/streams/bulk1/events`, { signal: ac.signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const readUntil = async (pred: (t: string) => boolean): Promise<void> => {
      const deadline = Date.now() + 5000;
      while (!pred(text) && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
    };
    await readUntil((t) => t.includes('event: status'));
    assert.match(text, /"enabled":false/);
    await fetch(`${h.base}/api/streams/bulk1/start`, json('POST'));
    await readUntil((t) => t.includes('"enabled":true'));
    assert.match(text, /"enabled":true/);
    ac.abort();
    assert.equal((await fetch(`${h.base}/api/streams/ghost/events`)).status, 404);
  });

  test('DELETE removes (and 404 afterwards)', async () => {
    const res = await fetch(`${h.base}/api/streams/bulk1`, { method: 'DELETE' });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'deleted', name: 'bulk1' });
    assert.equal((await fetch(`${h.base}/api/streams/bulk1`)).status, 404);
    assert.equal((await fetch(`${h.base}/api/streams/bulk1`, { method: 'DELETE' })).status, 404);
  });

  test('the password appears in no response body and no log line', async () => {
    const bodies = await Promise.all(['/api/streams', '/api/streams/cam1', '/api/streams/dahua', '/api/openapi.json', '/streams']
      .map(async (p) => (await fetch(`${h.base}${p}`)).text()));
    for (const b of bodies) assert.ok(!b.includes(SECRET));
    assert.ok(h.logs.length > 0, 'debug logging captured something');
    for (const line of h.logs) assert.ok(!line.includes(SECRET), line);
  });

  test('streams survive a restart (file store)', async () => {
    await stopApi(h);
    h = await startApi(dataDir);
    const list = (await (await fetch(`${h.base}/api/streams`)).json()) as { streams: { name: string; rtsp_url: string }[] };
    assert.deepEqual(list.streams.map((s) => s.name), ['cam1', 'dahua']);
    assert.equal(list.streams[0].rtsp_url, 'rtsp://***:***@10.1.2.3:554/Streaming/Channels/102', 'credentials kept through the update');
  });
});

describe('API key, CORS and config.json at boot', () => {
  test('mutating routes need the key; reads only with API_KEY_READS; health stays open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-key-'));
    const h = await startApi(dir, { API_KEY, CORS_ORIGINS: 'https://vms.example' });
    try {
      const body = { name: 'k1', rtsp_url: 'rtsp://10.0.0.1/a', enabled: false };
      assert.equal((await fetch(`${h.base}/api/streams`, json('POST', body))).status, 401);
      assert.equal((await fetch(`${h.base}/api/streams`, json('POST', body, { authorization: 'Bearer wrong-key-000' }))).status, 401);
      assert.equal((await fetch(`${h.base}/start`, json('POST', { stream_key: 'x' }))).status, 401);
      assert.equal((await fetch(`${h.base}/api/streams`, json('POST', body, { authorization: `Bearer ${API_KEY}` }))).status, 201);
      assert.equal((await fetch(`${h.base}/api/streams/k1/stop`, json('POST', undefined, { 'x-api-key': API_KEY }))).status, 200);
      assert.equal((await fetch(`${h.base}/api/streams`)).status, 200);
      assert.equal((await fetch(`${h.base}/api/health`)).status, 200);
      const pre = await fetch(`${h.base}/api/streams`, { method: 'OPTIONS', headers: { origin: 'https://vms.example', 'access-control-request-method': 'POST' } });
      assert.equal(pre.headers.get('access-control-allow-origin'), 'https://vms.example');
      for (const line of h.logs) assert.ok(!line.includes(API_KEY), line);
    } finally {
      await stopApi(h);
    }
    const reads = await startApi(mkdtempSync(join(tmpdir(), 'sg-key-')), { API_KEY, API_KEY_READS: true });
    try {
      assert.equal((await fetch(`${reads.base}/api/streams`)).status, 401);
      assert.equal((await fetch(`${reads.base}/api/streams`, { headers: { 'x-api-key': API_KEY } })).status, 200);
      assert.equal((await fetch(`${reads.base}/api/health`)).status, 200);
    } finally {
      await stopApi(reads);
    }
  });

  test('config.json (STREAMS_CONFIG) is loaded at boot; a bad entry is skipped, not fatal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-boot-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ streams: [
      { name: 'boot1', rtsp_url: `rtsp://u:${SECRET}@10.0.0.9/live`, enabled: false },
      { name: 'bad name', rtsp_url: 'rtsp://10.0.0.9/live' },
    ] }));
    const h = await startApi(dir, { STREAMS_CONFIG: file });
    try {
      const list = (await (await fetch(`${h.base}/api/streams`)).json()) as { streams: { name: string }[] };
      assert.deepEqual(list.streams.map((s) => s.name), ['boot1']);
      for (const line of h.logs) assert.ok(!line.includes(SECRET), line);
    } finally {
      await stopApi(h);
    }
    await assert.rejects(startApi(dir, { STREAMS_CONFIG: join(dir, 'missing.json') }), /STREAMS_CONFIG=.*missing\.json: file not found/);
  });

  test('STREAMS_CREDENTIALS (a Secret) supplies the passwords config.json must not hold', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-creds-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ streams: [{ name: 'gate', rtsp_url: 'rtsp://10.0.0.9/live', enabled: false }] }));
    writeFileSync(join(dir, 'cameras.json'), JSON.stringify({ streams: [{ name: 'gate', username: 'admin', password: SECRET }] }));
    const h = await startApi(dir, { STREAMS_CONFIG: join(dir, 'config.json'), STREAMS_CREDENTIALS: join(dir, 'cameras.json') });
    try {
      const gate = (await (await fetch(`${h.base}/api/streams/gate`)).json()) as { rtsp_url: string };
      assert.equal(gate.rtsp_url, 'rtsp://***:***@10.0.0.9/live', 'credentials joined by name, shown masked');
      // At rest the password is sealed (AES-256-GCM), and opens to what the Secret gave.
      const raw = (await h.ctx.store.get('streams/gate')) ?? '{}';
      assert.ok(!raw.includes(SECRET), 'no plaintext password in the store');
      assert.equal(decodeStreamConfig('streams/gate', raw, h.ctx.secrets).password, SECRET);
      for (const line of h.logs) assert.ok(!line.includes(SECRET), line);
    } finally {
      await stopApi(h);
    }
    writeFileSync(join(dir, 'cameras.json'), `{"streams": [{"name": "gate", "password": "${SECRET}" oops`);
    await assert.rejects(startApi(dir, { STREAMS_CONFIG: join(dir, 'config.json'), STREAMS_CREDENTIALS: join(dir, 'cameras.json') }), (err: unknown) =>
      err instanceof Error && /cameras\.json: not valid JSON/.test(err.message) && !err.message.includes(SECRET));
  });
});
