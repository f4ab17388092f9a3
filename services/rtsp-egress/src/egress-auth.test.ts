import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { argon2id } from 'hash-wasm';
import { sha256Secret } from '@streamgate/access';
import { ClientAuthenticator, computeDigestResponse, formatAuthorization, parseAuthenticate } from '@streamgate/protocol-rtsp';
import { gstLaunchErrors } from '@streamgate/testing';
import { EgressUnderTest, RawRtspClient, runTool, useEgressWithFakeStream } from '@streamgate/rtsp-egress/testing';
import { startRtspEgress } from './index';

/**
 * RTSP reader authentication against real clients (ffmpeg/ffprobe, GStreamer rtspsrc) and by
 * hand: Digest (SHA-256, MD5) and Basic challenges, nonces bound to the connection, 401 for
 * missing or wrong credentials, 403 for a known user without `read` on the path.
 */
const PLAIN_USERS = JSON.stringify([
  { user: 'alice', pass: 'alice-secret', permissions: [{ action: 'read', path: 'cam1' }] },
  { user: 'bob', pass: 'bob-secret', permissions: [{ action: 'read', path: '~^other' }] },
  { user: 'any', permissions: [{ action: 'read', path: 'public' }] },
]);

function userUrl(env: EgressUnderTest, stream: string, user?: string, pass?: string): string {
  const url = new URL(env.url(stream));
  if (user !== undefined) url.username = user;
  if (pass !== undefined) url.password = pass;
  return url.toString();
}

async function probe(url: string, transport = 'tcp'): Promise<{ code: number | null; stderr: string; codec?: string }> {
  const r = await runTool('ffprobe', ['-v', 'error', '-rtsp_transport', transport, '-show_entries', 'stream=codec_name', '-of', 'json', url], 15_000);
  let codec: string | undefined;
  if (r.code === 0) codec = (JSON.parse(r.stdout) as { streams: Array<{ codec_name: string }> }).streams[0]?.codec_name;
  return { code: r.code, stderr: r.stderr, codec };
}

async function gstPlays(url: string, user: string, pass: string): Promise<{ ok: boolean; out: string }> {
  const r = await runTool('gst-launch-1.0', ['-e', 'rtspsrc', `location=${url}`, `user-id=${user}`, `user-pw=${pass}`, 'protocols=tcp', '!',
    'rtph264depay', '!', 'avdec_h264', '!', 'fakesink', 'num-buffers=25'], 20_000);
  const out = r.stdout + r.stderr;
  return { ok: /Got EOS|Execution ended/.test(r.stdout) && gstLaunchErrors(r.stdout, r.stderr).length === 0, out };
}

describe('RTSP readers authenticate with Digest (plain-text passwords)', () => {
  // Digest only: a client that fell back to Basic would be refused, so success proves Digest.
  const suite = useEgressWithFakeStream(startRtspEgress, () => ({ AUTH_USERS: PLAIN_USERS, RTSP_AUTH_METHODS: 'digest' }));

  it('ffprobe rtsp://alice:…@ over TCP and UDP reads cam1 through Digest', async () => {
    for (const transport of ['tcp', 'udp']) {
      const r = await probe(userUrl(suite.env, 'cam1', 'alice', 'alice-secret'), transport);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.codec, 'h264');
    }
  });

  it('GStreamer rtspsrc user-id/user-pw decodes cam1 through Digest', async () => {
    const r = await gstPlays(suite.env.url('cam1'), 'alice', 'alice-secret');
    assert.ok(r.ok, r.out);
  });

  it('missing and wrong credentials get 401; a known user without read on cam1 gets 403', async () => {
    const none = await probe(suite.env.url('cam1'));
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /401 Unauthorized/);
    const wrong = await probe(userUrl(suite.env, 'cam1', 'alice', 'not-her-password'));
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /401 Unauthorized/);
    const bob = await probe(userUrl(suite.env, 'cam1', 'bob', 'bob-secret'));
    assert.notEqual(bob.code, 0);
    assert.match(bob.stderr, /403 Forbidden/);
    const gstWrong = await gstPlays(suite.env.url('cam1'), 'alice', 'nope');
    assert.ok(!gstWrong.ok);
    assert.match(gstWrong.out, /Unauthorized|not authorized|401/i);
  });

  it('the challenge offers Digest SHA-256 then MD5, both answerable; Basic is not offered here', async () => {
    const c = await RawRtspClient.connect(suite.env.egress.rtspPort);
    try {
      const url = suite.env.url('cam1');
      const challenged = await c.request('DESCRIBE', url);
      assert.equal(challenged.statusCode, 401);
      const offered = challenged.headers.getAll('www-authenticate').map(parseAuthenticate);
      assert.deepEqual(offered.map((o) => (o.scheme === 'Digest' ? `Digest ${o.algorithm}` : o.scheme)), ['Digest SHA-256', 'Digest MD5']);
      for (const algorithm of ['SHA-256', 'MD5'] as const) {
        const challenge = offered.find((o) => o.scheme === 'Digest' && o.algorithm === algorithm);
        assert.ok(challenge && challenge.scheme === 'Digest');
        const response = computeDigestResponse({ algorithm, username: 'alice', password: 'alice-secret', realm: challenge.realm, nonce: challenge.nonce, method: 'DESCRIBE', uri: url, qop: 'auth', nc: 1, cnonce: 'c0ffee' });
        const auth = formatAuthorization({ scheme: 'Digest', username: 'alice', realm: challenge.realm, nonce: challenge.nonce, uri: url, response, algorithm, qop: 'auth', nc: 1, cnonce: 'c0ffee' });
        const r = await c.request('DESCRIBE', url, { Authorization: auth, Accept: 'application/sdp' });
        assert.equal(r.statusCode, 200, `${algorithm}: ${r.statusCode}`);
      }
      // Basic with the right password is refused when only Digest is configured.
      const basic = await c.request('DESCRIBE', url, { Authorization: formatAuthorization({ scheme: 'Basic', username: 'alice', password: 'alice-secret' }) });
      assert.equal(basic.statusCode, 401);
    } finally {
      c.close();
    }
  });

  it('a nonce issued to one connection does not authenticate another (nonces are bound to the connection)', async () => {
    const a = await RawRtspClient.connect(suite.env.egress.rtspPort);
    const b = await RawRtspClient.connect(suite.env.egress.rtspPort);
    try {
      const url = suite.env.url('cam1');
      const auth = new ClientAuthenticator({ username: 'alice', password: 'alice-secret' }, () => 'abcdef012345');
      const first = await a.request('DESCRIBE', url);
      assert.deepEqual(auth.unauthorized(first.headers.getAll('www-authenticate'), false), { retry: true });
      const header = auth.authorize('DESCRIBE', url);
      assert.ok(header);
      assert.equal((await a.request('DESCRIBE', url, { Authorization: header })).statusCode, 200);
      const replay = await b.request('DESCRIBE', url, { Authorization: header });
      assert.equal(replay.statusCode, 401, 'the same Authorization from another connection is refused');
    } finally {
      a.close();
      b.close();
    }
  });

  it('the path in the Digest uri must be the requested one', async () => {
    const c = await RawRtspClient.connect(suite.env.egress.rtspPort);
    try {
      const challenged = await c.request('DESCRIBE', suite.env.url('other1'));
      const auth = new ClientAuthenticator({ username: 'alice', password: 'alice-secret' }, () => 'abcdef012345');
      auth.unauthorized(challenged.headers.getAll('www-authenticate'), false);
      // Computed for cam1 (where alice may read), sent for other1.
      const header = auth.authorize('DESCRIBE', suite.env.url('cam1'));
      assert.ok(header);
      assert.equal((await c.request('DESCRIBE', suite.env.url('other1'), { Authorization: header })).statusCode, 401);
    } finally {
      c.close();
    }
  });
});

describe('RTSP readers authenticate with Basic (hashed passwords)', () => {
  const suite = useEgressWithFakeStream(startRtspEgress, async () => {
    const argon2 = `argon2:${await argon2id({ password: 'dave-secret', salt: 'salt-of-dave', iterations: 2, memorySize: 4096, parallelism: 1, hashLength: 32, outputType: 'encoded' })}`;
    return {
      AUTH_USERS: JSON.stringify([
        { user: 'carol', pass: sha256Secret('carol-secret'), permissions: [{ action: 'read' }] },
        { user: 'dave', pass: argon2, permissions: [{ action: 'read', path: 'cam1' }] },
      ]),
    };
  });

  it('only Basic is offered (Digest cannot be checked against a hash)', async () => {
    const c = await RawRtspClient.connect(suite.env.egress.rtspPort);
    try {
      const r = await c.request('DESCRIBE', suite.env.url('cam1'));
      assert.equal(r.statusCode, 401);
      assert.deepEqual(r.headers.getAll('www-authenticate').map((v) => parseAuthenticate(v).scheme), ['Basic']);
    } finally {
      c.close();
    }
  });

  it('ffprobe and GStreamer read with a sha256: password over Basic; wrong password is 401', async () => {
    const ok = await probe(userUrl(suite.env, 'cam1', 'carol', 'carol-secret'));
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.codec, 'h264');
    const gst = await gstPlays(suite.env.url('cam1'), 'carol', 'carol-secret');
    assert.ok(gst.ok, gst.out);
    const wrong = await probe(userUrl(suite.env, 'cam1', 'carol', 'carol-wrong'));
    assert.match(wrong.stderr, /401 Unauthorized/);
  });

  it('an argon2: password works over Basic', async () => {
    const ok = await probe(userUrl(suite.env, 'cam1', 'dave', 'dave-secret'));
    assert.equal(ok.code, 0, ok.stderr);
  });
});
