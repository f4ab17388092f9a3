/**
 * Secrets never leave: the camera password, a user's password (AUTH_USERS), the API key and the secrets key are looked for in
 * everything the gateway exposes or writes while a password-protected camera (GStreamer's RTSP
 * server, Digest auth) is added, pulled, read, changed, failed and deleted — every API response
 * (including errors and the OpenAPI document), every SSE event, every log line at debug level
 * of all four services, every metric, every span exported over OTLP to a collector started
 * here, and every key in Redis — in plaintext, URL-encoded and base64 (a Basic header) forms.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RealServer, startNatsServer, startRedisServer } from '@streamgate/platform/testing';
import { GstRtspServer, ffprobeRtsp, killAll, startGstRtspServer, waitFor } from '@streamgate/testing';
import { ServiceProcess, clusterPorts, ingestEnv, startService } from '../distributed/cluster';
import { startAllInOne } from '../bench/gateway-process';
import { dumpRedis } from './redis-dump';

const CAMERA_USER = 'admin';
const CAMERA_PW = `CamPw-${randomBytes(6).toString('hex')}`;
const API_KEY = `ApiKey-${randomBytes(6).toString('hex')}`;
const SECRETS_KEY = randomBytes(32).toString('hex');
/** A gateway user (AUTH_USERS): reads over RTSP, scrapes metrics. */
const VIEWER = 'viewer';
const USER_PW = `UserPw-${randomBytes(6).toString('hex')}`;
const AUTH_USERS = JSON.stringify([
  { user: VIEWER, pass: USER_PW, permissions: [{ action: 'read' }, { action: 'metrics' }, { action: 'api' }] },
]);

/** Every form a secret could leak in. */
function forms(secret: string, user = CAMERA_USER): string[] {
  return [secret, encodeURIComponent(secret), Buffer.from(`${user}:${secret}`).toString('base64'), Buffer.from(secret).toString('base64').replace(/=+$/, '')];
}

describe('no secret in responses, SSE, debug logs, metrics, traces or Redis', () => {
  const seen = { responses: [] as string[], sse: [] as string[], logs: [] as string[], metrics: [] as string[], traces: [] as string[] };
  let collector: Server;
  let nats: RealServer;
  let redis: RealServer;
  let camera: GstRtspServer;
  const services: ServiceProcess[] = [];
  let api = '';
  let rtspPort = 0;
  let sse: AbortController | undefined;

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> => {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: { 'x-api-key': API_KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.clone().text();
    seen.responses.push(`${method} ${path} ${res.status} ${JSON.stringify([...res.headers])} ${text}`);
    return res;
  };

  before(async () => {
    collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.traces.push(Buffer.concat(chunks).toString('latin1'));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    [nats, redis] = await Promise.all([startNatsServer(), startRedisServer()]);
    camera = await startGstRtspServer({ mounts: ['cam'], auth: { method: 'digest', user: CAMERA_USER, password: CAMERA_PW }, audio: false });
    const ports = await clusterPorts();
    rtspPort = ports.rtsp;
    const env = {
      NATS_URL: nats.url, REDIS_URL: redis.url, RTSP_PORT: String(ports.rtsp), RTSP_UDP_RTP_PORT: String(ports.udpRtp), PORT: String(ports.api),
      LOG_LEVEL: 'debug', API_KEY, API_KEY_READS: 'true', SECRETS_KEY, RTSP_TIMEOUT: '5', AUTH_USERS,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`, OTEL_BSP_SCHEDULE_DELAY: '200',
    };
    const log = (text: string): void => void seen.logs.push(text);
    services.push(
      await startService('packetizer', env, log), await startService('rtsp-egress', env, log),
      await startService('ingest', await ingestEnv(env), log), await startService('control-api', env, log),
    );
    api = `http://127.0.0.1:${ports.api}`;
  });

  after(async () => {
    sse?.abort();
    for (const s of services) await s.stop();
    await killAll();
    await camera?.stop();
    await nats?.stop();
    await redis?.stop();
    await new Promise<void>((r) => collector.close(() => r()));
  });

  test('a password-protected camera through its whole life leaks none of its secrets anywhere', { timeout: 90_000 }, async () => {
    // SSE of the camera, read for the whole test.
    sse = new AbortController();
    const events = fetch(`${api}/api/streams/gate/events`, { headers: { 'x-api-key': API_KEY }, signal: sse.signal }).then(async (res) => {
      const reader = res.body?.getReader();
      for (;;) {
        const chunk = await reader?.read();
        if (!chunk || chunk.done) return;
        seen.sse.push(Buffer.from(chunk.value).toString());
      }
    }).catch(() => undefined);
    // Credentials in the URL, then as fields; the config loader; errors that carry the body.
    assert.equal((await call('POST', '/api/streams', { name: 'gate', rtsp_url: camera.url('cam', { user: CAMERA_USER, password: CAMERA_PW }), transport: 'tcp' })).status, 201);
    await waitFor(async () => ((await (await call('GET', '/api/streams/gate')).json()) as { playing?: boolean }).playing || undefined, 30_000, 'camera playing');
    const probe = await ffprobeRtsp(`rtsp://${VIEWER}:${USER_PW}@127.0.0.1:${rtspPort}/gate`);
    assert.ok(probe.streams.length > 0);
    // A wrong user password is refused and logged, without the password.
    await assert.rejects(ffprobeRtsp(`rtsp://${VIEWER}:${USER_PW}-wrong@127.0.0.1:${rtspPort}/gate`));
    await call('GET', '/api/streams');
    await call('GET', '/api/streams/gate/frame');
    await call('POST', '/api/streams', { name: 'gate', rtsp_url: camera.url('cam'), username: CAMERA_USER, password: CAMERA_PW });
    await call('POST', '/api/streams', { name: 'bad name', rtsp_url: 'rtsp://10.0.0.1/x', password: CAMERA_PW });
    await call('POST', '/api/streams', { name: 'bad2', rtsp_url: `rtsp://u:${CAMERA_PW}@169.254.169.254/x` });
    await call('POST', '/api/streams', `{"name":"broken","password":"${CAMERA_PW}"`);
    await call('POST', '/api/config/streams', { streams: [{ name: 'gate2', rtsp_url: camera.url('cam'), username: CAMERA_USER, password: CAMERA_PW, enabled: false }, { name: 'x y', password: CAMERA_PW }] });
    await call('GET', '/api/streams', undefined, { 'x-api-key': `${API_KEY}-wrong` });
    await call('GET', '/api/openapi.json');
    await call('GET', '/streams');
    // A wrong password: the camera refuses, the error is reported (last_error, logs) without it.
    await call('POST', '/api/config/streams', { streams: [{ name: 'gate', rtsp_url: camera.url('cam'), username: CAMERA_USER, password: `${CAMERA_PW}-old`, transport: 'tcp' }] });
    await waitFor(async () => ((await (await call('GET', '/api/streams/gate')).json()) as { last_error?: string | null }).last_error ?? undefined, 30_000, 'last_error after the wrong password');
    await call('POST', '/api/streams/gate/stop');
    await call('DELETE', '/api/streams/gate2');
    const scrape = { authorization: `Basic ${Buffer.from(`${VIEWER}:${USER_PW}`).toString('base64')}` };
    for (const s of services) seen.metrics.push(await (await fetch(`http://127.0.0.1:${s.metricsPort}/metrics`, { headers: scrape })).text());
    // Spans are exported every 200 ms; wait for some from the API calls above.
    await waitFor(() => (seen.traces.some((t) => t.includes('/api/streams')) ? true : undefined), 10_000, 'spans at the collector');
    sse.abort();
    await events;

    // Redis holds the sealed credentials, nothing readable.
    const redisText = await dumpRedis(redis.url);

    const secrets = [...forms(CAMERA_PW), ...forms(API_KEY), ...forms(USER_PW, VIEWER), SECRETS_KEY];
    const where: Record<string, string[]> = { ...seen, redis: [redisText] };
    for (const [place, texts] of Object.entries(where)) {
      assert.ok(texts.length > 0, `nothing captured from ${place}`);
      for (const text of texts) {
        for (const secret of secrets) {
          const at = text.indexOf(secret);
          assert.equal(at, -1, `${place} contains a secret: …${text.slice(Math.max(0, at - 120), at)}<SECRET>…`);
        }
      }
    }
    // The capture saw what it should have: debug lines, the camera's stream in metrics, SSE events, stored entries.
    assert.ok(seen.logs.join('').includes('"level":20'), 'debug-level lines were captured');
    assert.ok(seen.metrics.join('').includes('stream="gate"'));
    assert.ok(seen.sse.join('').includes('data:'), 'SSE events were captured');
    assert.match(redisText, /enc:v1:/);
  });
});

describe('no secret on disk in the embedded mode (DATA_DIR)', () => {
  test('state.json holds the camera password sealed; the log says a key was generated, never the key or the password', { timeout: 60_000 }, async () => {
    const logs: string[] = [];
    const gw = await startAllInOne({ LOG_LEVEL: 'debug' });
    try {
      const res = await fetch(`http://127.0.0.1:${gw.apiPort}/api/streams`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'disk', rtsp_url: `rtsp://${CAMERA_USER}:${CAMERA_PW}@10.0.0.7/live`, enabled: false }),
      });
      assert.equal(res.status, 201);
      const files = readdirSync(gw.dataDir);
      assert.ok(files.includes('state.json') && files.includes('secrets.key'), files.join(','));
      const key = readFileSync(join(gw.dataDir, 'secrets.key'), 'utf8').trim();
      const state = readFileSync(join(gw.dataDir, 'state.json'), 'utf8');
      assert.match(state, /enc:v1:/);
      logs.push(gw.proc.stdout(), gw.proc.stderr());
      for (const secret of [...forms(CAMERA_PW), key]) {
        assert.ok(!state.includes(secret), 'state.json');
        for (const l of logs) assert.ok(!l.includes(secret), 'a log line');
      }
      assert.match(logs.join(''), /SECRETS_KEY is not set: generated a key/);
    } finally {
      await gw.stop();
    }
  });
});
