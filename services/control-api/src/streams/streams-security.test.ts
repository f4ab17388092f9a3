/**
 * Attacks on the control API, each a regression test named after what it used to allow
 * (issue 12): CSRF, credential exfiltration by URL change, SSRF through camera URLs, plaintext
 * passwords at rest, a stalled 1 GB body, framework banners.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContextOverrides, ServiceContext, createServiceContext, decodeStreamConfig } from '@streamgate/platform';
import { RunningControlApi, startControlApi } from '../index';

const SECRET = 'Cam-Pa55-never-leaks';

interface Harness { ctx: ServiceContext; api: RunningControlApi; base: string; dataDir: string }

async function startApi(config: ContextOverrides['config'] = {}, resolveHost?: ContextOverrides['resolveHost']): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sg-sec-'));
  const ctx = await createServiceContext('control-api', {
    config: { HOST: '127.0.0.1', PORT: 0, RTSP_PORT: 8554, LOG_LEVEL: 'silent', DATA_DIR: dataDir, ...config }, resolveHost,
  });
  const api = await startControlApi(ctx);
  return { ctx, api, base: `http://127.0.0.1:${api.httpPort}`, dataDir };
}

async function stopApi(h: Harness): Promise<void> {
  await h.api.stop();
  await h.ctx.bus.close();
  await h.ctx.store.close();
}

const post = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers },
});

describe('control API hardening', () => {
  /** Host names the tests resolve themselves (no /etc/hosts edits). */
  const names = new Map<string, string[]>([['metadata.attacker.test', ['169.254.169.254']], ['cam.lan.test', ['10.9.8.7']]]);
  let h: Harness;
  before(async () => {
    h = await startApi({}, async (host) => {
      const found = names.get(host);
      if (!found) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      return found;
    });
    const res = await fetch(`${h.base}/api/streams`, post({ name: 'cam1', rtsp_url: 'rtsp://10.0.0.5/live', username: 'admin', password: SECRET, enabled: false }));
    assert.equal(res.status, 201);
  });
  after(() => stopApi(h));

  test('CSRF: a cross-origin text/plain POST (what a hostile page can send without preflight) is refused', async () => {
    const res = await fetch(`${h.base}/api/streams/cam1/start`, {
      method: 'POST', body: '{}', headers: { 'content-type': 'text/plain', origin: 'http://evil.example' },
    });
    assert.equal(res.status, 403);
    assert.match(((await res.json()) as { message: string }).message, /cross-origin write refused/);
    const stored = await (await fetch(`${h.base}/api/streams/cam1`)).json() as { enabled: boolean };
    assert.equal(stored.enabled, false, 'the camera was not started');
  });

  test('CSRF: a same-origin text/plain POST is refused too (415); JSON or no body passes', async () => {
    const plain = await fetch(`${h.base}/api/streams/cam1/stop`, { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } });
    assert.equal(plain.status, 415);
    const form = await fetch(`${h.base}/api/streams/cam1/stop`, { method: 'POST', body: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(form.status, 415);
    assert.equal((await fetch(`${h.base}/api/streams/cam1/stop`, { method: 'POST' })).status, 200, 'curl -X POST without a body still works');
    const sameOrigin = await fetch(`${h.base}/api/streams/cam1/stop`, { method: 'POST', headers: { origin: h.base } });
    assert.equal(sameOrigin.status, 200);
    const fetchMeta = await fetch(`${h.base}/api/streams/cam1/stop`, { method: 'POST', headers: { 'sec-fetch-site': 'cross-site' } });
    assert.equal(fetchMeta.status, 403);
    const nullOrigin = await fetch(`${h.base}/api/streams/cam1/stop`, { method: 'POST', headers: { origin: 'null' } });
    assert.equal(nullOrigin.status, 403);
  });

  test('security headers on every response, no X-Powered-By banner', async () => {
    for (const path of ['/api/streams', '/api/health', '/api/streams/nope', '/api/openapi.json']) {
      const res = await fetch(`${h.base}${path}`);
      assert.equal(res.headers.get('x-powered-by'), null, path);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
      assert.equal(res.headers.get('x-frame-options'), 'DENY', path);
      assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, path);
      await res.arrayBuffer();
    }
  });

  test('credential exfiltration by URL change: a new host gets no stored credentials unless they are sent again', async () => {
    const moved = await fetch(`${h.base}/api/config/streams`, post({ streams: [{ name: 'cam1', rtsp_url: 'rtsp://10.66.66.66/live', enabled: false }] }));
    assert.equal(moved.status, 200);
    const entry = (decodeStreamConfig('streams/cam1', (await h.ctx.store.get('streams/cam1')) ?? '', h.ctx.secrets));
    assert.equal(entry.username, null, 'username dropped with the host');
    assert.equal(entry.password, null, 'password dropped with the host');
    const view = await (await fetch(`${h.base}/api/streams/cam1`)).json() as { rtsp_url: string };
    assert.equal(view.rtsp_url, 'rtsp://10.66.66.66/live', 'shown without the *** of stored credentials');
    // Same host, new path: the credentials stay (they were given for this camera).
    await fetch(`${h.base}/api/streams`, post({ name: 'cam2', rtsp_url: 'rtsp://10.0.0.6/a', username: 'u', password: SECRET, enabled: false }));
    await fetch(`${h.base}/api/config/streams`, post({ streams: [{ name: 'cam2', rtsp_url: 'rtsp://10.0.0.6/b', enabled: false }] }));
    const kept = decodeStreamConfig('streams/cam2', (await h.ctx.store.get('streams/cam2')) ?? '', h.ctx.secrets);
    assert.equal(kept.password, SECRET);
    // A new port is another service on that host.
    await fetch(`${h.base}/api/config/streams`, post({ streams: [{ name: 'cam2', rtsp_url: 'rtsp://10.0.0.6:8080/b', enabled: false }] }));
    const port = decodeStreamConfig('streams/cam2', (await h.ctx.store.get('streams/cam2')) ?? '', h.ctx.secrets);
    assert.equal(port.password, null);
  });

  for (const [label, url, reason] of [
    ['SSRF: a link-local (cloud metadata) address', 'rtsp://169.254.169.254/latest', /link-local or metadata/],
    ['SSRF: a host name resolving to a link-local address', 'rtsp://metadata.attacker.test/x', /metadata\.attacker\.test \(169\.254\.169\.254\) is a link-local/],
    ['SSRF: the IPv6 metadata range fd00:ec2::/32', 'rtsp://[fd00:ec2::254]/x', /link-local or metadata/],
    ['SSRF: a public address outside CAMERA_ALLOWED_NETWORKS', 'rtsp://8.8.8.8/x', /outside CAMERA_ALLOWED_NETWORKS/],
    ['SSRF: a host name that does not resolve', 'rtsp://nowhere.attacker.test/x', /does not resolve/],
    ['CR/LF in the URL (header injection)', 'rtsp://10.0.0.5/live\r\nX-Injected: 1', /rtsp_url/],
    ['a control character in the URL', 'rtsp://10.0.0.5/li\u0001ve', /control characters/],
    ['a non-RTSP scheme', 'http://10.0.0.5/x', /rtsp_url/],
  ] as const) {
    test(`${label} is refused with a clear 400`, async () => {
      const res = await fetch(`${h.base}/api/streams`, post({ name: 'ssrf', rtsp_url: url, enabled: false }));
      assert.equal(res.status, 400);
      const body = (await res.json()) as { message: string };
      assert.match(body.message, reason);
      assert.equal((await fetch(`${h.base}/api/streams/ssrf`)).status, 404);
    });
  }

  test('CR/LF in a username is refused (it would reach a Digest header)', async () => {
    const res = await fetch(`${h.base}/api/streams`, post({ name: 'crlf', rtsp_url: 'rtsp://10.0.0.5/x', username: 'a\r\nX: y', enabled: false }));
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { message: string }).message, /username must not contain control characters/);
  });

  test('allowed names and private addresses pass; loopback is allowed by default', async () => {
    for (const url of ['rtsp://cam.lan.test/x', 'rtsp://127.0.0.1:8554/x', 'rtsps://192.168.1.10/x']) {
      const res = await fetch(`${h.base}/api/streams`, post({ name: 'okcam', rtsp_url: url, enabled: false }));
      assert.ok(res.status === 201 || res.status === 200, `${url}: ${res.status}`);
      assert.equal((await fetch(`${h.base}/api/streams/okcam`, { method: 'DELETE' })).status, 200);
    }
  });

  test('backup sources: the SSRF guard checks every source URL, naming the refused one', async () => {
    const res = await fetch(`${h.base}/api/streams`, post({ name: 'ssrfb', sources: ['rtsp://10.0.0.5/live', 'rtsp://metadata.attacker.test/x'], enabled: false }));
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { message: string }).message, /^sources\[1\]: .*metadata\.attacker\.test \(169\.254\.169\.254\) is a link-local/);
    assert.equal((await fetch(`${h.base}/api/streams/ssrfb`)).status, 404);
    const bad = await fetch(`${h.base}/api/streams`, post({ name: 'ssrfb', sources: ['rtsp://10.0.0.5/live', 'http://10.0.0.6/x'], enabled: false }));
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { message: string }).message, /sources\.1: sources\[\] must be an rtsp:\/\//);
  });

  test('backup sources: their credentials are sealed at rest, masked in responses, kept when the same URL is sent again', async () => {
    const backupSecret = 'Backup-Pa55-never-leaks';
    const body = { name: 'dual', sources: [`rtsp://admin:${SECRET}@10.0.0.5/live`, `rtsp://viewer:${backupSecret}@10.0.0.6/live`], enabled: false };
    const res = await fetch(`${h.base}/api/streams`, post(body));
    assert.equal(res.status, 201);
    const text = await res.text();
    for (const secret of [SECRET, backupSecret, 'viewer']) assert.ok(!text.includes(secret), `${secret} in the response`);
    const view = JSON.parse(text) as { rtsp_url: string; sources: string[]; active_source: number; source_switches: number };
    assert.deepEqual(view.sources, ['rtsp://***:***@10.0.0.5/live', 'rtsp://***:***@10.0.0.6/live']);
    assert.equal(view.rtsp_url, view.sources[0]);
    assert.equal(view.active_source, 0);
    assert.equal(view.source_switches, 0);
    const state = readFileSync(join(h.dataDir, 'state.json'), 'utf8');
    assert.ok(!state.includes(backupSecret), 'backup password in state.json');
    // The config format again, backup URL without credentials: the stored ones stay with it.
    const again = await fetch(`${h.base}/api/config/streams`, post({ streams: [{ ...body, sources: [`rtsp://admin:${SECRET}@10.0.0.5/live`, 'rtsp://10.0.0.6/live'] }] }));
    assert.equal(again.status, 200);
    const raw = await h.ctx.store.get('streams/dual');
    assert.ok(raw !== undefined);
    const stored = decodeStreamConfig('streams/dual', raw, h.ctx.secrets);
    assert.deepEqual(stored.backup_sources, [{ rtsp_url: 'rtsp://10.0.0.6/live', username: 'viewer', password: backupSecret }]);
    const list = await (await fetch(`${h.base}/api/streams`)).text();
    assert.ok(!list.includes(backupSecret));
    // rtsp_url and sources given together must agree on the primary.
    const clash = await fetch(`${h.base}/api/streams`, post({ name: 'clash', rtsp_url: 'rtsp://10.0.0.5/a', sources: ['rtsp://10.0.0.5/b'], enabled: false }));
    assert.equal(clash.status, 400);
    assert.match(((await clash.json()) as { message: string }).message, /sources\[0\] is the primary and must equal rtsp_url/);
  });

  test('published backups: publish:<key> is stored as a key, shown as written, and refused as the primary, as the stream itself or with a bad key', async () => {
    const ok = await fetch(`${h.base}/api/streams`, post({ name: 'mast', sources: ['rtsp://10.0.0.5/live', 'publish:drone_1', 'rtsp://10.0.0.6/live'], enabled: false }));
    assert.equal(ok.status, 201, await ok.clone().text());
    const view = (await ok.json()) as { sources: string[] };
    assert.deepEqual(view.sources, ['rtsp://10.0.0.5/live', 'publish:drone_1', 'rtsp://10.0.0.6/live']);
    const stored = decodeStreamConfig('streams/mast', String(await h.ctx.store.get('streams/mast')), h.ctx.secrets);
    assert.deepEqual(stored.backup_sources, [{ publish: 'drone_1' }, { rtsp_url: 'rtsp://10.0.0.6/live', username: null, password: null }]);
    const refused: [unknown[], RegExp][] = [
      [['publish:drone_1'], /sources\[0\] is the primary and must be an rtsp:\/\/ or rtsps:\/\/ camera URL/],
      [['rtsp://10.0.0.5/live', 'publish:selfref'], /publish:selfref is the stream itself/],
      [['rtsp://10.0.0.5/live', 'publish:bad.key'], /sources\.1: sources\[\] must be an rtsp:\/\/ or rtsps:\/\/ URL with a host, or publish:<stream key>/],
      [['rtsp://10.0.0.5/live', 'publish:'], /sources\.1: /],
    ];
    for (const [sources, message] of refused) {
      const res = await fetch(`${h.base}/api/streams`, post({ name: 'selfref', sources, enabled: false }));
      assert.equal(res.status, 400, JSON.stringify(sources));
      assert.match(((await res.json()) as { message: string }).message, message);
    }
  });

  test('secrets at rest: state.json holds no password; the key generated into DATA_DIR is mode 0600', async () => {
    await fetch(`${h.base}/api/streams`, post({ name: 'atrest', rtsp_url: `rtsp://admin:${SECRET}@10.0.0.8/live`, enabled: false }));
    const state = readFileSync(join(h.dataDir, 'state.json'), 'utf8');
    assert.ok(!state.includes(SECRET), 'password in state.json');
    assert.match(state, /enc:v1:[0-9a-f]{8}:/);
    const key = statSync(join(h.dataDir, 'secrets.key'));
    assert.equal(key.mode & 0o777, 0o600);
  });

  test('a body that declares 1 GB and stalls is dropped (413 at once, connection closed by the deadline)', async () => {
    const t0 = Date.now();
    const closed = await new Promise<{ ms: number; head: string }>((resolve) => {
      const sock = connect(h.api.httpPort, '127.0.0.1');
      let head = '';
      sock.on('connect', () => sock.write(`POST /api/streams HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${1 << 30}\r\n\r\n{"name":`));
      sock.on('data', (d) => (head += d.toString('latin1')));
      sock.on('close', () => resolve({ ms: Date.now() - t0, head }));
      sock.on('error', () => undefined);
    });
    assert.match(closed.head, /^HTTP\/1\.1 413/);
    assert.ok(closed.ms < 2000, `closed after ${closed.ms} ms`);
  });
});

describe('control API slow clients and per-address limits', () => {
  let h: Harness;
  before(async () => {
    h = await startApi({ API_REQUEST_TIMEOUT_MS: 1000, API_HEADERS_TIMEOUT_MS: 1000, API_MAX_CONNECTIONS_PER_ADDRESS: 4 });
  });
  after(() => stopApi(h));

  const hold = (host: string): Promise<{ closedAfterMs: number }> => new Promise((resolve) => {
    const t0 = Date.now();
    const sock = connect({ port: h.api.httpPort, host: '127.0.0.1', localAddress: host });
    sock.on('connect', () => sock.write('GET /api/health HTTP/1.1\r\nHost: x\r\n'));
    sock.on('close', () => resolve({ closedAfterMs: Date.now() - t0 }));
    sock.on('error', () => undefined);
  });

  const rawGet = (localAddress: string): Promise<string> => new Promise((resolve) => {
    let text = '';
    const sock = connect({ port: h.api.httpPort, host: '127.0.0.1', localAddress });
    sock.on('connect', () => sock.write('GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    sock.on('data', (d) => (text += d.toString('latin1')));
    sock.on('close', () => resolve(text));
    sock.on('error', () => resolve(text));
  });

  test('slowloris headers are dropped after API_HEADERS_TIMEOUT_MS; one address holds at most API_MAX_CONNECTIONS_PER_ADDRESS', async () => {
    const held = Array.from({ length: 6 }, () => hold('127.0.0.1'));
    await new Promise((r) => setTimeout(r, 300));
    // Another address still gets in while 127.0.0.1 is at its cap.
    assert.match(await rawGet('127.0.0.2'), /^HTTP\/1\.1 200/);
    const results = await Promise.all(held);
    const early = results.filter((r) => r.closedAfterMs < 500).length;
    assert.equal(early, 2, `two of six refused at once: ${JSON.stringify(results)}`);
    for (const r of results.filter((x) => x.closedAfterMs >= 500)) assert.ok(r.closedAfterMs < 3000, `dropped by the headers deadline: ${r.closedAfterMs}`);
    assert.equal((await fetch(`${h.base}/api/health`)).status, 200, 'the address is served again once its slots are free');
  });
});
