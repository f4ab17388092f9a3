import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ffmpegDecodeRtsp, ffmpegPushRtmp, killAll } from '@streamgate/testing';
import { computeDigestResponse, formatAuthorization, parseAuthenticate } from '@streamgate/protocol-rtsp';
import { RawRtspClient } from '@streamgate/rtsp-egress/testing';
import type { Gateway } from '../../services/all-in-one';
import { renderClip, rtspStatus, startTestGateway } from './gateway-harness';

/**
 * Issue #12 "Done when": 1,000 wrong Digest attempts from one address (127.0.0.2) in a bounded
 * loop are slowed, measured, while a reader from another address (127.0.0.1) plays normally.
 * The loop stops at 1,000 attempts or after ATTACK_MS, whichever comes first.
 */
const ATTACK_MS = 20_000;
const MAX_ATTEMPTS = 1000;
const ADMIN = { user: 'admin', pass: 'admin-pw-9Lk' };

describe('brute force: wrong Digest answers from one address are slowed, others are not', { timeout: 120_000 }, () => {
  let gw: Gateway;

  before(async () => {
    gw = await startTestGateway({
      AUTH_USERS: JSON.stringify([{ user: ADMIN.user, pass: ADMIN.pass, permissions: [{ action: 'read' }, { action: 'publish' }] }]),
    });
    const clip = await renderClip({ seconds: 4, width: 320, height: 240, fps: 25, gop: 25, bframes: 0, audio: false });
    ffmpegPushRtmp(`rtmp://127.0.0.1:${gw.rtmpPort}/live/bf?user=${ADMIN.user}&pass=${ADMIN.pass}`, { clip, loop: true });
    const basic = `Authorization: Basic ${Buffer.from(`${ADMIN.user}:${ADMIN.pass}`).toString('base64')}\r\n`;
    const deadline = Date.now() + 15_000;
    while ((await rtspStatus(gw.rtspPort, 'DESCRIBE', 'bf', basic)) !== 200) {
      assert.ok(Date.now() < deadline, 'stream bf did not come up');
      await new Promise((r) => setTimeout(r, 200));
    }
  });
  after(async () => {
    await killAll();
    await gw?.stop();
  });

  /** Wrong-password Digest DESCRIBEs from `localAddress` until the budget runs out; per-attempt latency. */
  async function attack(localAddress: string, maxAttempts: number, budgetMs: number): Promise<number[]> {
    const url = `rtsp://127.0.0.1:${gw.rtspPort}/bf`;
    const latencies: number[] = [];
    const end = Date.now() + budgetMs;
    let client = await RawRtspClient.connect(gw.rtspPort, { localAddress });
    let challenge = await client.request('DESCRIBE', url);
    try {
      while (latencies.length < maxAttempts && Date.now() < end) {
        const offered = challenge.headers.getAll('www-authenticate').map(parseAuthenticate).find((c) => c.scheme === 'Digest' && c.algorithm === 'MD5');
        assert.ok(offered && offered.scheme === 'Digest', 'a Digest MD5 challenge');
        const response = computeDigestResponse({ username: ADMIN.user, password: `guess-${latencies.length}`, realm: offered.realm, nonce: offered.nonce, method: 'DESCRIBE', uri: url, algorithm: 'MD5' });
        const t0 = performance.now();
        const remaining = end - Date.now();
        challenge = await Promise.race([
          client.request('DESCRIBE', url, { Authorization: formatAuthorization({ scheme: 'Digest', username: ADMIN.user, realm: offered.realm, nonce: offered.nonce, uri: url, response, algorithm: 'MD5' }) }),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error('budget')), Math.max(0, remaining) + 200)),
        ]).catch(() => challenge);
        if (Date.now() >= end + 100) break;
        latencies.push(performance.now() - t0);
        assert.equal(challenge.statusCode, 401);
        if (client.closed) {
          client = await RawRtspClient.connect(gw.rtspPort, { localAddress });
          challenge = await client.request('DESCRIBE', url);
        }
      }
    } finally {
      client.close();
    }
    return latencies;
  }

  test('1,000 attempts are not possible: after 5 free failures each one waits longer; a reader from 127.0.0.1 plays throughout', async () => {
    const reader = ffmpegDecodeRtsp(`rtsp://${ADMIN.user}:${ADMIN.pass}@127.0.0.1:${gw.rtspPort}/bf`, { transport: 'tcp', seconds: 15 });
    const t0 = Date.now();
    const latencies = await attack('127.0.0.2', MAX_ATTEMPTS, ATTACK_MS);
    const elapsed = Date.now() - t0;
    const read = await reader;
    const slowest = Math.max(...latencies);
    const free = latencies.slice(0, 5);
    process.stdout.write(`# brute force from 127.0.0.2: ${latencies.length} wrong Digest answers in ${elapsed} ms ` +
      `(first 5: ${free.map((l) => l.toFixed(0)).join('/')} ms; last: ${latencies[latencies.length - 1]?.toFixed(0)} ms; slowest ${slowest.toFixed(0)} ms); ` +
      `reader from 127.0.0.1 decoded ${read.frames.video} frames\n`);
    assert.ok(latencies.length < 40, `only a few attempts get through in ${ATTACK_MS} ms (got ${latencies.length} of ${MAX_ATTEMPTS})`);
    assert.ok(free.every((l) => l < 500), 'the first failures are answered at once');
    assert.ok(slowest >= 3000, 'later failures wait seconds');
    // The other address is untouched: 15 s of 25 fps, decoded without errors.
    assert.equal(read.exitCode, 0, read.stderr);
    assert.ok(read.frames.video >= 15 * 25 * 0.9, `reader decoded ${read.frames.video} frames`);
    // And it still authenticates at once while 127.0.0.2 is slowed.
    const t1 = Date.now();
    const ok = await rtspStatus(gw.rtspPort, 'DESCRIBE', 'bf', `Authorization: Basic ${Buffer.from(`${ADMIN.user}:${ADMIN.pass}`).toString('base64')}\r\n`);
    assert.equal(ok, 200);
    assert.ok(Date.now() - t1 < 1000);
  });
});
