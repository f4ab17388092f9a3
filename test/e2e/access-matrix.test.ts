import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { ffmpegPushRtmp, killAll, withTimeout } from '@streamgate/testing';
import type { AccessProtocol } from '@streamgate/access';
import type { Gateway } from '../../services/all-in-one';
import { renderClip, rtspStatus, startTestGateway } from './gateway-harness';

/**
 * Issue #12 "Done when": one generated test per action × protocol × {anonymous, wrong password,
 * right user without the permission, right user}, against the all-in-one gateway with a users
 * list. RTSP, RTMP, the control API and /metrics are driven over their own wire (raw RTSP with
 * Basic, ffmpeg pushing with ?user=&pass=, HTTP Basic); HLS, WebRTC and playback go through the
 * `access.authorize` hook their servers call. Every cell expects the same outcome: 401, 401,
 * 403, allowed.
 */
const ADMIN = { user: 'admin', pass: 'admin-pw-7Qe' };
const VIEWER = { user: 'viewer', pass: 'viewer-pw-3Zt' };
const USERS = [
  { user: 'admin', pass: ADMIN.pass, permissions: [{ action: 'read' }, { action: 'publish' }, { action: 'playback' }, { action: 'api' }, { action: 'metrics' }] },
  // Authenticates fine, may only read streams whose name starts with "other".
  { user: 'viewer', pass: VIEWER.pass, permissions: [{ action: 'read', path: '~^other' }] },
];

type Identity = 'anonymous' | 'wrong password' | 'right user without permission' | 'right user';
const IDENTITIES: Record<Identity, { user: string; pass: string } | undefined> = {
  anonymous: undefined,
  'wrong password': { user: 'admin', pass: 'not-the-password' },
  'right user without permission': VIEWER,
  'right user': ADMIN,
};
type Outcome = 401 | 403 | 'allowed';
const EXPECTED: Record<Identity, Outcome> = {
  anonymous: 401, 'wrong password': 401, 'right user without permission': 403, 'right user': 'allowed',
};

const basic = (c: { user: string; pass: string }): string => `Basic ${Buffer.from(`${c.user}:${c.pass}`).toString('base64')}`;

describe('access matrix: action × protocol × identity (all-in-one)', { timeout: 240_000 }, () => {
  let gw: Gateway;
  let clip: string;
  let cell = 0;
  const logs: string[] = [];
  const secretsSeen: string[] = [ADMIN.pass, VIEWER.pass, 'not-the-password'];

  before(async () => {
    gw = await startTestGateway({ AUTH_USERS: JSON.stringify(USERS), LOG_LEVEL: 'debug' }, {
      logDestination: new Writable({
        write(chunk: Buffer, _enc, done) {
          logs.push(chunk.toString('utf8'));
          done();
        },
      }),
    });
    clip = await renderClip({ seconds: 4, fps: 25, gop: 25, bframes: 0, audio: false });
    // The stream the read cells read: published by the admin with query credentials.
    ffmpegPushRtmp(`rtmp://127.0.0.1:${gw.rtmpPort}/live/mx?user=${ADMIN.user}&pass=${ADMIN.pass}`, { clip, loop: true });
    await waitForStreamAs(gw.rtspPort, 'mx');
  });
  after(async () => {
    await killAll();
    await gw?.stop();
  });

  async function waitForStreamAs(port: number, path: string): Promise<void> {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if ((await rtspStatus(port, 'DESCRIBE', path, `Authorization: ${basic(ADMIN)}\r\n`)) === 200) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${path} not live`);
  }

  const httpOutcome = (status: number): Outcome | number => (status === 200 ? 'allowed' : status);

  /** Each cell performs the action over the protocol as the identity and reports what happened. */
  const CELLS: Array<{ action: string; protocol: string; attempt(id: { user: string; pass: string } | undefined): Promise<Outcome | number> }> = [
    {
      action: 'read', protocol: 'rtsp',
      attempt: async (id) => {
        const status = await rtspStatus(gw.rtspPort, 'DESCRIBE', 'mx', `Accept: application/sdp\r\n${id ? `Authorization: ${basic(id)}\r\n` : ''}`);
        return status === 200 ? 'allowed' : status;
      },
    },
    {
      action: 'publish', protocol: 'rtmp',
      attempt: async (id) => {
        const key = `pub${++cell}`;
        const query = id ? `?user=${encodeURIComponent(id.user)}&pass=${encodeURIComponent(id.pass)}` : '';
        const push = ffmpegPushRtmp(`rtmp://127.0.0.1:${gw.rtmpPort}/live/${key}${query}`, { clip, seconds: 2 });
        const exit = await withTimeout(push.exited, 20_000, 'ffmpeg push');
        const stderr = push.stderr();
        // The password never comes back in what the server says.
        assert.ok(!id || !stderr.includes(`description: ${id.pass}`));
        if (exit.code === 0) return 'allowed';
        if (/NetStream\.Publish\.Rejected|not allowed to publish/.test(stderr) && /not allowed/.test(stderr)) return 403;
        if (/needs credentials|authentication failed/.test(stderr)) return 401;
        return -1;
      },
    },
    {
      action: 'api', protocol: 'http',
      attempt: async (id) => httpOutcome((await fetch(`http://127.0.0.1:${gw.httpPort}/api/streams`, { headers: id ? { authorization: basic(id) } : {} })).status),
    },
    {
      action: 'metrics', protocol: 'http',
      attempt: async (id) => httpOutcome((await fetch(`http://127.0.0.1:${gw.metricsPort}/metrics`, { headers: id ? { authorization: basic(id) } : {} })).status),
    },
    ...(['hls', 'webrtc'] as AccessProtocol[]).map((protocol) => ({
      action: 'read', protocol: `${protocol} (authorize hook)`,
      attempt: async (id: { user: string; pass: string } | undefined) => {
        const d = await gw.ctx.access.authorize({ action: 'read', path: 'mx', protocol, ip: '127.0.0.1', ...id });
        return d.allowed ? 'allowed' : d.status;
      },
    })),
    {
      action: 'playback', protocol: 'http (authorize hook)',
      attempt: async (id) => {
        const d = await gw.ctx.access.authorize({ action: 'playback', path: 'mx', protocol: 'http', ip: '127.0.0.1', ...id });
        return d.allowed ? 'allowed' : d.status;
      },
    },
  ];

  for (const c of CELLS) {
    for (const [name, id] of Object.entries(IDENTITIES) as Array<[Identity, { user: string; pass: string } | undefined]>) {
      test(`${c.action} over ${c.protocol} as ${name} → ${EXPECTED[name]}`, async () => {
        assert.equal(await c.attempt(id), EXPECTED[name]);
      });
    }
  }

  test('a publish with the token from POST /start works without a user; a wrong token is refused; the token is stored hashed', async () => {
    const started = await fetch(`http://127.0.0.1:${gw.httpPort}/start`, {
      method: 'POST', headers: { authorization: basic(ADMIN), 'content-type': 'application/json' }, body: JSON.stringify({ stream_key: 'tok1' }),
    });
    assert.equal(started.status, 200);
    const { publish_url: publishUrl, publish_token: token } = (await started.json()) as { publish_url: string; publish_token: string };
    secretsSeen.push(token);
    const good = ffmpegPushRtmp(publishUrl, { clip, seconds: 2 });
    assert.equal((await withTimeout(good.exited, 20_000, 'push with token')).code, 0, good.stderr());
    const bad = ffmpegPushRtmp(`rtmp://127.0.0.1:${gw.rtmpPort}/live/tok1?token=${token.slice(0, -2)}xx`, { clip, seconds: 2 });
    assert.notEqual((await withTimeout(bad.exited, 20_000, 'push with a wrong token')).code, 0);
    assert.match(bad.stderr(), /wrong token/);
    const stored = await gw.ctx.store.get('rtmp-keys/tok1');
    assert.ok(stored && !stored.includes(token) && /"token_sha256":"[0-9a-f]{64}"/.test(stored));
  });

  test('/healthz needs the metrics permission too; /readyz stays open for readiness probes', async () => {
    assert.equal((await fetch(`http://127.0.0.1:${gw.metricsPort}/healthz`)).status, 401);
    assert.equal((await fetch(`http://127.0.0.1:${gw.metricsPort}/healthz`, { headers: { authorization: basic(ADMIN) } })).status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${gw.metricsPort}/readyz`)).status, 200);
  });

  test('refusals are counted by protocol, action and reason; no password in the metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${gw.metricsPort}/metrics`, { headers: { authorization: basic(ADMIN) } })).text();
    for (const [protocol, action] of [['rtsp', 'read'], ['rtmp', 'publish'], ['http', 'api'], ['http', 'metrics']]) {
      for (const reason of ['missing-credentials', 'wrong-credentials', 'no-permission']) {
        assert.match(text, new RegExp(`streamgate_auth_failures_total\\{[^}]*protocol="${protocol}",action="${action}",reason="${reason}"[^}]*\\} [1-9]`), `${protocol}/${action}/${reason}`);
      }
    }
    for (const secret of secretsSeen) assert.ok(!text.includes(secret));
  });

  test('every refusal is logged with address and user, and no password or token is in any log line (debug level)', () => {
    const all = logs.join('');
    assert.ok(logs.length > 50, `${logs.length} log lines`);
    for (const secret of secretsSeen) assert.ok(!all.includes(secret), 'a secret reached the logs');
    const refusals = logs.filter((l) => l.includes('"msg":"access refused"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(refusals.some((r) => r.ip === '127.0.0.1' && r.user === 'viewer' && r.reason === 'no-permission' && r.protocol === 'rtsp'));
    assert.ok(refusals.some((r) => r.user === 'admin' && r.reason === 'wrong-credentials' && r.protocol === 'rtmp'));
  });
});
