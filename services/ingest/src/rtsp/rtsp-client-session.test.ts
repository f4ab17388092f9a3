/**
 * RtspClientSession against scripted cameras: URL building (query strings, Content-Base,
 * absolute controls), redirects, auth on any request (stale nonce, wrong credentials, userinfo),
 * transport quirks (461 → TCP on the same connection, no `interleaved` in the reply, UDP with
 * receiver reports), keepalives, PAUSE/TEARDOWN, and peers that do not speak RTSP.
 */
import { strict as assert } from 'node:assert';
import { createSocket } from 'node:dgram';
import { AddressInfo, createServer } from 'node:net';
import { after, describe, it } from 'node:test';
import { RtspRequest, parseAuthorization, parseTransport } from '@streamgate/protocol-rtsp';
import { RtspAuthError, RtspProtocolViolation, RtspTimeoutError } from './rtsp-client-errors';
import { RtspClientSession, RtspClientSessionOptions } from './rtsp-client-session';
import { CameraScript, cameraSdp, rtpPacket, ScriptedCamera, startScriptedCamera } from '@streamgate/ingest/testing';
import { UdpPortPairAllocator } from './udp-port-pair';

interface Harness {
  session: RtspClientSession;
  media: Array<{ track: number; rtcp: boolean; count: number }>;
  closed: Error[];
}

function newSession(url: string, extra: Partial<RtspClientSessionOptions> = {}): Harness {
  const h: Harness = { session: undefined as unknown as RtspClientSession, media: [], closed: [] };
  h.session = new RtspClientSession({
    url, transport: 'tcp', udpPorts: new UdpPortPairAllocator(), requestTimeoutMs: 2000,
    sink: (track, rtcp, packets) => h.media.push({ track, rtcp, count: packets.length }),
    onClosed: (err) => h.closed.push(err), onDebug: () => undefined, ...extra,
  });
  return h;
}

const PUBLIC = 'OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER';

/** A well-behaved camera; `overrides` replace answers per method. */
function camera(sdp: string, overrides: Partial<Record<string, CameraScript>> = {}, extraDescribe: Record<string, string> = {}): CameraScript {
  return (req, conn) => {
    const o = overrides[req.method];
    if (o) return o(req, conn);
    switch (req.method) {
      case 'OPTIONS': return { status: 200, headers: { Public: PUBLIC } };
      case 'DESCRIBE': return { status: 200, headers: { 'Content-Type': 'application/sdp', ...extraDescribe }, body: sdp };
      case 'SETUP': return { status: 200, headers: { Session: 'abcdef12;timeout=60', Transport: req.headers.get('transport') ?? '' } };
      default: return { status: 200, headers: { Session: 'abcdef12' } };
    }
  };
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const cameras: ScriptedCamera[] = [];
async function start(script: CameraScript): Promise<ScriptedCamera> {
  const c = await startScriptedCamera(script);
  cameras.push(c);
  return c;
}
const methods = (c: ScriptedCamera): string[] => c.requests.map((r) => r.method);
const urlsOf = (c: ScriptedCamera, method: string): string[] => c.requests.filter((r) => r.method === method).map((r) => r.url);

describe('RtspClientSession (scripted cameras)', { timeout: 60_000 }, () => {
  after(async () => {
    await Promise.all(cameras.map((c) => c.close()));
  });

  it('Dahua query URL, no Content-Base, TCP reply without interleaved: controls after the query, media by channel, keepalive, PAUSE, TEARDOWN', async () => {
    let conn: Parameters<CameraScript>[1] | undefined;
    const cam = await start(camera(cameraSdp({ video: 'trackID=0', audio: 'trackID=1' }), {
      SETUP: () => ({ status: 200, headers: { Session: 'abcdef12;timeout=2', Transport: 'RTP/AVP/TCP;unicast' } }),
      PLAY: (_req, c) => {
        conn = c;
        setImmediate(() => {
          c.sendInterleaved(0, rtpPacket(1, 0, 11));
          c.sendInterleaved(0, rtpPacket(2, 3600, 11));
          c.sendInterleaved(2, rtpPacket(1, 0, 22, 97));
        });
        return { status: 200, headers: { Session: 'abcdef12' } };
      },
    }));
    const url = cam.url('/cam/realmonitor?channel=1&subtype=0');
    const h = newSession(url);
    await h.session.start();
    assert.equal(h.session.state, 'playing');
    assert.deepEqual(urlsOf(cam, 'SETUP'), [`${url}/trackID=0`, `${url}/trackID=1`]);
    assert.deepEqual(urlsOf(cam, 'PLAY'), [url]);
    assert.deepEqual(cam.requests.filter((r) => r.method === 'SETUP').map((r) => parseTransport(r.headers.get('transport') ?? '').interleaved), [[0, 1], [2, 3]]);
    await delay(1300);
    assert.deepEqual(h.media.filter((m) => !m.rtcp).map((m) => [m.track, m.count]), [[0, 2], [1, 1]]);
    assert.equal(h.session.tracks[0].stats.ssrc, 11);
    // timeout=2 → a keepalive every second, GET_PARAMETER because Public lists it.
    const keepalive = cam.requests.find((r) => r.method === 'GET_PARAMETER');
    assert.equal(keepalive?.headers.get('session'), 'abcdef12');
    // Receiver reports go back on the RTCP channel (checked by the camera reading our frames).
    assert.ok(conn);
    await h.session.pause();
    assert.equal(h.session.state, 'setup');
    await h.session.resume();
    assert.equal(h.session.state, 'playing');
    await h.session.stop();
    assert.equal(h.session.state, 'idle');
    assert.deepEqual(methods(cam).filter((m) => m !== 'GET_PARAMETER'), ['OPTIONS', 'DESCRIBE', 'SETUP', 'SETUP', 'PLAY', 'PAUSE', 'PLAY', 'TEARDOWN']);
    const cseqs = cam.requests.map((r) => Number(r.headers.get('cseq')));
    assert.deepEqual(cseqs, [...cseqs].sort((a, b) => a - b));
    assert.equal(cam.requests.at(-1)?.headers.get('session'), 'abcdef12');
    assert.deepEqual(h.closed, []);
  });

  // [session control, PLAY goes to]
  const aggregates: Array<[string, string]> = [['*', '/base/'], ['agg', '/base/agg']];
  for (const [sessionControl, playPath] of aggregates) {
    it(`Content-Base with absolute and relative media controls, session control ${sessionControl}`, async () => {
      let port = 0;
      const cam = await start((req, conn) => camera(cameraSdp({ session: sessionControl, video: `rtsp://127.0.0.1:${port}/abs/video`, audio: 'audio' }), {},
        { 'Content-Base': `rtsp://127.0.0.1:${port}/base/` })(req, conn));
      port = cam.port;
      const h = newSession(cam.url('/live'));
      await h.session.start();
      assert.deepEqual(urlsOf(cam, 'SETUP'), [cam.url('/abs/video'), cam.url('/base/audio')]);
      assert.deepEqual(urlsOf(cam, 'PLAY'), [cam.url(playPath)]);
      await h.session.stop();
      assert.deepEqual(urlsOf(cam, 'TEARDOWN'), [cam.url(playPath)]);
    });
  }

  it('follows redirects to another camera, and gives up after 5', async () => {
    const target = await start(camera(cameraSdp({ video: 'trackID=0' })));
    const redirector = await start(camera('', { DESCRIBE: () => ({ status: 302, headers: { Location: target.url('/moved') } }) }));
    const h = newSession(redirector.url('/old'));
    await h.session.start();
    assert.deepEqual(urlsOf(target, 'DESCRIBE'), [target.url('/moved')]);
    await h.session.stop();
    let loopPort = 0;
    const loopCam = await start(camera('', { DESCRIBE: () => ({ status: 301, headers: { Location: `rtsp://127.0.0.1:${loopPort}/again` } }) }));
    loopPort = loopCam.port;
    const loop = newSession(loopCam.url('/start'));
    await assert.rejects(loop.session.start(), /more than 5 redirects/);
    assert.equal(loopCam.connections, 6);
  });

  it('a redirect to another host or port gets none of the configured credentials', async () => {
    const target = await start(camera('', { DESCRIBE: () => ({ status: 401, headers: { 'WWW-Authenticate': 'Basic realm="elsewhere"' } }) }));
    const redirector = await start(camera('', { DESCRIBE: () => ({ status: 302, headers: { Location: target.url('/moved') } }) }));
    const h = newSession(redirector.url('/old'), { credentials: { username: 'admin', password: 'camera-secret' } });
    await assert.rejects(h.session.start(), /401/);
    assert.ok(target.requests.length > 0);
    for (const r of target.requests) assert.equal(r.headers.get('authorization'), undefined, `${r.method} carried credentials to the redirect target`);
  });

  it('answers Digest on the first request, reuses the nonce with nc, and retries a stale nonce on PLAY', async () => {
    let playSeen = 0;
    const challenge = (nonce: string, stale = false) => ({
      status: 401, headers: { 'WWW-Authenticate': [`Digest realm="cam", nonce="${nonce}", qop="auth"${stale ? ', stale=TRUE' : ''}`, 'Basic realm="cam"'] },
    });
    const inner = camera(cameraSdp({ video: 'trackID=0' }));
    const cam = await start((req, conn) => {
      const auth = req.headers.get('authorization');
      if (!auth) return challenge('n1');
      if (req.method === 'PLAY' && playSeen++ === 0) return challenge('n2', true);
      return inner(req, conn);
    });
    const h = newSession(cam.url('/s'), { credentials: { username: 'admin', password: 'pw' } });
    await h.session.start();
    const auths = cam.requests.map((r) => r.headers.get('authorization')).filter((a): a is string => a !== undefined).map(parseAuthorization);
    assert.ok(auths.every((a) => a.scheme === 'Digest'));
    assert.deepEqual(auths.map((a) => (a.scheme === 'Digest' ? [a.nonce, a.nc] : [])), [['n1', 1], ['n1', 2], ['n1', 3], ['n1', 4], ['n2', 1]]);
    assert.deepEqual(methods(cam), ['OPTIONS', 'OPTIONS', 'DESCRIBE', 'SETUP', 'PLAY', 'PLAY']);
    await h.session.stop();
  });

  it('wrong credentials: gives up after one answered challenge with a clear error', async () => {
    const cam = await start(() => ({ status: 401, headers: { 'WWW-Authenticate': 'Basic realm="cam"' } }));
    const h = newSession(cam.url('/s'), { credentials: { username: 'admin', password: 'wrong' } });
    await assert.rejects(h.session.start(), (err: unknown) => err instanceof RtspAuthError && /401 Unauthorized: check username\/password/.test(err.message));
    assert.equal(cam.requests.length, 2);
  });

  it('takes credentials from the URL userinfo and never sends them in a request URL', async () => {
    const inner = camera(cameraSdp({ video: 'trackID=0' }));
    const cam = await start((req, conn) => (req.headers.get('authorization') ? inner(req, conn) : { status: 401, headers: { 'WWW-Authenticate': 'Basic realm="c"' } }));
    const h = newSession(`rtsp://us%40er:p%3Ass@127.0.0.1:${cam.port}/s`);
    await h.session.start();
    const auth = parseAuthorization(cam.requests[1].headers.get('authorization') ?? '');
    assert.deepEqual(auth, { scheme: 'Basic', username: 'us@er', password: 'p:ss' });
    assert.ok(cam.requests.every((r: RtspRequest) => !r.url.includes('@') && !r.url.includes('p%3Ass')));
    await h.session.stop();
  });

  it('a camera refusing UDP (461) gets the same SETUP over TCP on the same connection', async () => {
    const cam = await start(camera(cameraSdp({ video: 'trackID=0', audio: 'trackID=1' }), {
      SETUP: (req) => (/TCP/.test(req.headers.get('transport') ?? '')
        ? { status: 200, headers: { Session: 'abcdef12', Transport: req.headers.get('transport') ?? '' } }
        : { status: 461 }),
    }));
    const h = newSession(cam.url('/s'), { transport: 'udp', tcpFallback: true });
    await h.session.start();
    assert.equal(h.session.transport, 'tcp');
    assert.equal(cam.connections, 1);
    assert.deepEqual(cam.requests.filter((r) => r.method === 'SETUP').map((r) => parseTransport(r.headers.get('transport') ?? '').lowerTransport), ['UDP', 'TCP', 'TCP']);
    await h.session.stop();
  });

  it('UDP: media from the camera reaches the sink and receiver reports reach the server RTCP port', async () => {
    const rtp = createSocket('udp4');
    const rtcp = createSocket('udp4');
    await Promise.all([rtp, rtcp].map((s) => new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()))));
    const reports: Buffer[] = [];
    rtcp.on('message', (m) => reports.push(m));
    let clientPorts: readonly [number, number] | undefined;
    const cam = await start(camera(cameraSdp({ video: 'trackID=0' }), {
      SETUP: (req) => {
        clientPorts = parseTransport(req.headers.get('transport') ?? '').clientPort;
        return { status: 200, headers: { Session: 'abcdef12', Transport: `RTP/AVP;unicast;client_port=${clientPorts?.join('-')};server_port=${rtp.address().port}-${rtcp.address().port}` } };
      },
    }));
    const h = newSession(cam.url('/s'), { transport: 'udp' });
    await h.session.start();
    assert.ok(clientPorts && clientPorts[0] % 2 === 0 && clientPorts[1] === clientPorts[0] + 1);
    for (let i = 0; i < 3; i++) rtp.send(rtpPacket(i, i * 3600, 33), clientPorts[0], '127.0.0.1');
    await delay(300);
    // Datagrams read in one poll pass arrive as one batch (ReadRun): count packets, not batches.
    assert.equal(h.media.filter((m) => m.track === 0 && !m.rtcp).reduce((n, m) => n + m.count, 0), 3);
    assert.ok(reports.length >= 1, 'the first receiver report is sent right after PLAY');
    assert.equal(reports[0][1], 201);
    await h.session.stop();
    rtp.close();
    rtcp.close();
  });

  // [peer, what it does, expected error]
  const peers: Array<[string, (socket: import('node:net').Socket) => void, RegExp | (new (...a: never[]) => Error)]> = [
    ['an HTTP server', (s) => s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')), /not an RTSP server: it answered HTTP\/1\.1 400/],
    ['a server sending garbage', (s) => s.once('data', () => s.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x00]))), RtspProtocolViolation],
    ['a server that never answers', () => undefined, RtspTimeoutError],
    ['a server that hangs up', (s) => s.once('data', () => s.destroy()), /closed the connection/],
  ];
  for (const [name, behave, expected] of peers) {
    it(`fails cleanly against ${name}`, async () => {
      const server = createServer(behave);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const h = newSession(`rtsp://127.0.0.1:${(server.address() as AddressInfo).port}/s`, { requestTimeoutMs: 500 });
      await assert.rejects(h.session.start(), expected);
      assert.equal(h.session.state, 'idle');
      server.close();
    });
  }

  it('fails cleanly on a closed port and an unresolvable host', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    await assert.rejects(newSession(`rtsp://127.0.0.1:${port}/s`).session.start(), /cannot connect to 127\.0\.0\.1:\d+: ECONNREFUSED/);
    await assert.rejects(newSession('rtsp://camera.invalid/s', { requestTimeoutMs: 3000 }).session.start(), /cannot connect to camera\.invalid|connecting to camera\.invalid/);
  });

  it('rtsps:// goes over TLS (a closed port is a connection error) and state violations are typed errors', async () => {
    await assert.rejects(newSession('rtsps://127.0.0.1:1/s').session.start(), /cannot connect to 127\.0\.0\.1:1/);
    const h = newSession('rtsp://127.0.0.1:1/s');
    await assert.rejects(h.session.pause(), /pause is not valid in state idle/);
  });
});
