import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ffmpegPushRtmp, killAll, withTimeout } from '@streamgate/testing';
import type { Gateway } from '../../services/all-in-one';
import { renderClip, rtspStatus, startTestGateway } from './gateway-harness';

/**
 * External authentication, MediaMTX's two ways, against servers this test starts on loopback:
 * AUTH_HTTP_URL (POST {user, password, token, ip, action, path, protocol, id, query}; 2xx
 * allows; cached; time-bounded) and AUTH_JWT_JWKS_URL (JWT with `mediamtx_permissions`,
 * keys picked by kid, rotation picked up when a token names a new key).
 */
async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => resolve(body));
  });
}

const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('AUTH_HTTP_URL: the platform decides', { timeout: 120_000 }, () => {
  let gw: Gateway;
  let auth: { server: Server; url: string };
  const calls: Array<Record<string, string>> = [];
  let hang = false;

  before(async () => {
    auth = await listen(async (req, res) => {
      const body = JSON.parse(await readBody(req)) as Record<string, string>;
      calls.push(body);
      if (hang) return; // never answers: the gateway must give up on its own
      const ok = body.user === 'ext' && body.password === 'ext-pw' && ['read', 'publish'].includes(body.action);
      res.writeHead(ok ? 200 : 401).end();
    });
    gw = await startTestGateway({ AUTH_HTTP_URL: `${auth.url}/auth`, AUTH_HTTP_TIMEOUT_MS: 500, AUTH_HTTP_CACHE_MS: 60_000 });
  });
  after(async () => {
    await killAll();
    await gw?.stop();
    auth?.server.close();
  });

  test('RTSP offers Basic only; the callback gets MediaMTX\'s fields; 2xx allows, else 401; answers are cached', async () => {
    const none = await fetchRtsp(gw.rtspPort, 'cam9');
    assert.equal(none.status, 401);
    assert.deepEqual(none.challenges, ['Basic realm="streamgate"']);
    // Allowed: the stream does not exist, so 404 is what is left after authentication.
    assert.equal(await rtspStatus(gw.rtspPort, 'DESCRIBE', 'cam9', `Authorization: ${basic('ext', 'ext-pw')}\r\n`), 404);
    const call = calls.find((c) => c.user === 'ext' && c.action === 'read');
    assert.ok(call);
    assert.deepEqual(Object.keys(call).sort(), ['action', 'id', 'ip', 'password', 'path', 'protocol', 'query', 'token', 'user']);
    assert.equal(call.path, 'cam9');
    assert.equal(call.protocol, 'rtsp');
    assert.equal(call.ip, '127.0.0.1');
    const before = calls.length;
    assert.equal(await rtspStatus(gw.rtspPort, 'DESCRIBE', 'cam9', `Authorization: ${basic('ext', 'ext-pw')}\r\n`), 404);
    assert.equal(calls.length, before, 'the allowed answer was reused');
    assert.equal(await rtspStatus(gw.rtspPort, 'DESCRIBE', 'cam9', `Authorization: ${basic('ext', 'nope')}\r\n`), 401);
  });

  test('RTMP publish goes through the callback with the query credentials', async () => {
    const clip = await renderClip({ seconds: 2, fps: 25, gop: 25, bframes: 0, audio: false });
    const ok = ffmpegPushRtmp(`rtmp://127.0.0.1:${gw.rtmpPort}/live/ext1?user=ext&pass=ext-pw`, { clip });
    assert.equal((await withTimeout(ok.exited, 20_000, 'push')).code, 0, ok.stderr());
    const c = calls.find((x) => x.action === 'publish' && x.path === 'ext1');
    assert.equal(c?.protocol, 'rtmp');
    assert.equal(c?.query, '', 'credentials are not repeated in query');
    const bad = ffmpegPushRtmp(`rtmp://127.0.0.1:${gw.rtmpPort}/live/ext2?user=ext&pass=bad`, { clip });
    assert.notEqual((await withTimeout(bad.exited, 20_000, 'push')).code, 0);
  });

  test('a callback that does not answer denies within AUTH_HTTP_TIMEOUT_MS', async () => {
    hang = true;
    try {
      const t0 = Date.now();
      assert.equal(await rtspStatus(gw.rtspPort, 'DESCRIBE', 'slow1', `Authorization: ${basic('ext', 'ext-pw')}\r\n`), 401);
      assert.ok(Date.now() - t0 < 2500, `took ${Date.now() - t0} ms`);
    } finally {
      hang = false;
    }
  });

  test('api and metrics are not sent to the callback (AUTH_HTTP_EXCLUDE default) and stay open without a users list', async () => {
    const before = calls.length;
    assert.equal((await fetch(`http://127.0.0.1:${gw.httpPort}/api/streams`)).status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${gw.metricsPort}/metrics`)).status, 200);
    assert.equal(calls.length, before);
  });
});

/** A JWKS server whose key set the test can rotate, and a signer for its keys. */
class IdentityServer {
  keys: Array<{ kid: string; alg: 'RS256' | 'ES256'; privateKey: KeyObject; publicKey: KeyObject }> = [];
  fetches = 0;
  server!: Server;
  url = '';

  addKey(kid: string, alg: 'RS256' | 'ES256'): void {
    const pair = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.keys.push({ kid, alg, ...pair });
  }

  async start(): Promise<void> {
    const l = await listen((_req, res) => {
      this.fetches++;
      res.writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: this.keys.map((k) => ({ ...k.publicKey.export({ format: 'jwk' }), kid: k.kid, alg: k.alg, use: 'sig' })) }));
    });
    this.server = l.server;
    this.url = `${l.url}/.well-known/jwks.json`;
  }

  token(kid: string, claims: Record<string, unknown>, privateKey?: KeyObject): string {
    const k = this.keys.find((x) => x.kid === kid);
    const alg = k?.alg ?? 'RS256';
    const key = privateKey ?? k?.privateKey;
    assert.ok(key);
    const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
    const input = `${b64({ alg, kid, typ: 'JWT' })}.${b64({ exp: Math.floor(Date.now() / 1000) + 300, ...claims })}`;
    const sig = sign('sha256', Buffer.from(input), alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key);
    return `${input}.${sig.toString('base64url')}`;
  }
}

describe('AUTH_JWT_JWKS_URL: tokens from an identity server', { timeout: 120_000 }, () => {
  let gw: Gateway;
  const idp = new IdentityServer();

  before(async () => {
    idp.addKey('key-a', 'RS256');
    await idp.start();
    gw = await startTestGateway({ AUTH_JWT_JWKS_URL: idp.url });
  });
  after(async () => {
    await killAll();
    await gw?.stop();
    idp.server?.close();
  });

  const api = (token?: string): Promise<number> =>
    fetch(`http://127.0.0.1:${gw.httpPort}/api/streams`, { headers: token ? { authorization: `Bearer ${token}` } : {} }).then((r) => r.status);

  test('the API takes Bearer JWTs: api permission → 200, another permission → 403, none/expired/forged → 401', async () => {
    assert.equal(await api(idp.token('key-a', { sub: 'ops', mediamtx_permissions: [{ action: 'api' }] })), 200);
    assert.equal(await api(idp.token('key-a', { sub: 'viewer', mediamtx_permissions: [{ action: 'read' }] })), 403);
    assert.equal(await api(), 401);
    assert.equal(await api(idp.token('key-a', { exp: Math.floor(Date.now() / 1000) - 3600, mediamtx_permissions: [{ action: 'api' }] })), 401);
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    assert.equal(await api(idp.token('key-a', { mediamtx_permissions: [{ action: 'api' }] }, stranger)), 401);
  });

  test('RTSP takes the JWT as the Basic password; RTMP as ?jwt=', async () => {
    const reader = idp.token('key-a', { sub: 'r', mediamtx_permissions: [{ action: 'read', path: 'jwtcam' }] });
    assert.equal(await rtspStatus(gw.rtspPort, 'DESCRIBE', 'jwtcam', `Authorization: ${basic('anyone', reader)}\r\n`), 404, 'authenticated (no such stream)');
    assert.equal(await rtspStatus(gw.rtspPort, 'DESCRIBE', 'othercam', `Authorization: ${basic('anyone', reader)}\r\n`), 403);
    const clip = await renderClip({ seconds: 2, fps: 25, gop: 25, bframes: 0, audio: false });
    const publisher = idp.token('key-a', { sub: 'drone', mediamtx_permissions: [{ action: 'publish', path: '~^drone' }] });
    const push = ffmpegPushRtmp(`rtmp://127.0.0.1:${gw.rtmpPort}/live/drone1?jwt=${publisher}`, { clip });
    assert.equal((await withTimeout(push.exited, 20_000, 'push')).code, 0, push.stderr());
    const denied = ffmpegPushRtmp(`rtmp://127.0.0.1:${gw.rtmpPort}/live/cam1?jwt=${publisher}`, { clip });
    assert.notEqual((await withTimeout(denied.exited, 20_000, 'push')).code, 0);
  });

  test('key rotation: a token signed with a new key is accepted once the JWKS has it; the retired key stops working', async () => {
    const old = idp.token('key-a', { mediamtx_permissions: [{ action: 'api' }] });
    assert.equal(await api(old), 200);
    idp.keys = [];
    idp.addKey('key-b', 'ES256');
    const fetchesBefore = idp.fetches;
    await new Promise((r) => setTimeout(r, 1100)); // past the minimum refetch interval
    assert.equal(await api(idp.token('key-b', { mediamtx_permissions: [{ action: 'api' }] })), 200);
    assert.ok(idp.fetches > fetchesBefore, 'the unknown kid made the gateway fetch the JWKS again');
    assert.equal(await api(old), 401);
  });
});

/** One DESCRIBE without credentials: status and challenges. */
async function fetchRtsp(port: number, path: string): Promise<{ status: number; challenges: string[] }> {
  const { connect } = await import('node:net');
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1', () => sock.write(`DESCRIBE rtsp://127.0.0.1:${port}/${path} RTSP/1.0\r\nCSeq: 1\r\n\r\n`));
    let buf = '';
    sock.setTimeout(3000, () => reject(new Error('no answer')));
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      if (!buf.includes('\r\n\r\n')) return;
      sock.destroy();
      resolve({
        status: Number(/^RTSP\/1\.0 (\d{3})/.exec(buf)?.[1] ?? 0),
        challenges: [...buf.matchAll(/^WWW-Authenticate: (.*)\r$/gim)].map((m) => m[1]),
      });
    });
  });
}
