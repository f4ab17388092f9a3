import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import pino from 'pino';
import type { BrowserContext, Page } from 'playwright-core';
import { GstRtspServer, TrackedProcess, killAll, startGstRtspServer, waitFor } from '@streamgate/testing';
import type { Gateway } from '../../services/all-in-one';
import { pushClip, renderClip, startTestGateway } from './gateway-harness';
import { artifactDir, launchChromium } from './console/chromium';

/**
 * Issue #15, web console in REAL headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core): a pushed stream is listed within 2 s, its LL-HLS preview decodes frames
 * (getVideoPlaybackQuality), a camera added through the form appears and plays, removing it
 * removes it. With users configured (issue #12) it signs in: a wrong password is refused, the
 * right one shows the streams and a playing preview (the HttpOnly cookie set by :API also opens
 * HLS on its own port), signing out revokes the session. Screenshots go to
 * test-artifacts/console/ (gitignored).
 */

/** Decoded video frames of a card's preview, read twice 1.5 s apart. */
async function framesDecoded(page: Page, name: string): Promise<[number, number]> {
  const read = (): Promise<number> => page.$eval(`[data-stream="${name}"] video`, (v) => (v as unknown as { getVideoPlaybackQuality(): { totalVideoFrames: number } }).getVideoPlaybackQuality().totalVideoFrames);
  const first = await waitFor(async () => {
    const n = await read();
    return n > 0 ? n : undefined;
  }, 20_000, `${name} preview to decode a frame`, 250);
  await new Promise((r) => setTimeout(r, 1500));
  return [first, await read()];
}
describe('web console in Chromium', { timeout: 180_000 }, () => {
  let gw: Gateway;
  let camera: GstRtspServer;
  let pusher: TrackedProcess | undefined;
  let context: BrowserContext;
  let closeBrowser: () => Promise<void>;
  let page: Page;
  const shots = artifactDir('console');

  before(async () => {
    gw = await startTestGateway({ HLS_SEGMENT_DURATION: 1, HLS_PART_DURATION: 0.2 });
    camera = await startGstRtspServer({ mounts: ['cam'], gop: 25, fps: 25, width: 640, height: 360 });
    ({ context, close: closeBrowser } = await launchChromium());
    page = await context.newPage();
    page.on('dialog', (d) => void d.accept());
    await page.goto(`http://127.0.0.1:${gw.httpPort}/`);
    // The console has started once it has read /api/console (the RTMP URL is filled in).
    await page.waitForFunction("document.querySelector('#rtmp-url').textContent.startsWith('rtmp://')", undefined, { timeout: 15_000 });
  });

  after(async () => {
    await closeBrowser?.();
    await pusher?.kill();
    await gw?.stop();
    await camera?.stop();
    await killAll();
  });

  test('Chromium can decode H.264 in MSE (checked before anything depends on it)', async () => {
    const supported = await page.evaluate('MediaSource.isTypeSupported(\'video/mp4; codecs="avc1.64001e,mp4a.40.2"\')');
    assert.equal(supported, true, 'Debian chromium reports H.264 + AAC in fMP4 as playable');
  });

  test('a pushed stream is listed within 2 s of the API knowing it, and its preview plays', async () => {
    const clip = await renderClip({ seconds: 60, gop: 25, bframes: 2 });
    pusher = pushClip(clip, gw.rtmpPort, 'drone1');
    const apiKnows = waitFor(async () => {
      const list = (await (await fetch(`http://127.0.0.1:${gw.httpPort}/api/streams`)).json()) as { streams: Array<{ name: string }> };
      return list.streams.some((s) => s.name === 'drone1') ? Date.now() : undefined;
    }, 20_000, 'the API to list drone1', 50);
    const pageShows = page.waitForSelector('[data-stream="drone1"]', { timeout: 20_000 }).then(() => Date.now());
    const [known, shown] = await Promise.all([apiKnows, pageShows]);
    assert.ok(shown - known < 2000, `listed ${shown - known} ms after the API knew it`);
    await page.screenshot({ path: join(shots, '1-listed.png') });
    await page.click('[data-stream="drone1"] .preview-toggle');
    const [a, b] = await framesDecoded(page, 'drone1');
    assert.ok(b > a, `frames decoded keep increasing (${a} → ${b})`);
    const hls = await page.$eval('[data-stream="drone1"] .hls', (e) => e.textContent ?? '');
    assert.match(hls, new RegExp(`^http://127\\.0\\.0\\.1:${gw.hlsPort}/drone1/index\\.m3u8$`));
    await page.screenshot({ path: join(shots, '2-preview-rtmp.png') });
  });

  test('a camera added through the form appears and plays; removing it removes it', async () => {
    await page.fill('#camera-form [name=name]', 'lobby');
    await page.fill('#camera-form [name=rtsp_url]', camera.url('cam'));
    await page.selectOption('#camera-form [name=transport]', 'tcp');
    await page.click('#camera-submit');
    await page.waitForSelector('[data-stream="lobby"]', { timeout: 10_000 });
    await page.waitForSelector('[data-stream="lobby"][data-live="true"]', { timeout: 20_000 });
    await page.click('[data-stream="lobby"] .preview-toggle');
    const [a, b] = await framesDecoded(page, 'lobby');
    assert.ok(b > a, `camera preview frames keep increasing (${a} → ${b})`);
    await page.screenshot({ path: join(shots, '3-preview-camera.png') });
    await page.click('[data-stream="lobby"] .remove');
    await page.waitForSelector('[data-stream="lobby"]', { state: 'detached', timeout: 10_000 });
    const res = await fetch(`http://127.0.0.1:${gw.httpPort}/api/streams/lobby`);
    assert.equal(res.status, 404);
    await page.screenshot({ path: join(shots, '4-removed.png') });
  });

  test('an H.265 camera: Debian Chromium has no HEVC in MSE, and the preview says so (not a black box)', async () => {
    assert.equal(await page.evaluate('MediaSource.isTypeSupported(\'video/mp4; codecs="hev1.1.6.L93.B0"\')'), false, 'this Chromium has HEVC in MSE now: the console message is moot');
    const hevc = await startGstRtspServer({ mounts: ['cam'], codec: 'h265', gop: 25, fps: 25, width: 640, height: 360, audio: false });
    try {
      const res = await fetch(`http://127.0.0.1:${gw.httpPort}/api/streams`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'hevc', rtsp_url: hevc.url('cam'), transport: 'tcp' }),
      });
      assert.equal(res.status, 201);
      await page.waitForSelector('[data-stream="hevc"][data-live="true"]', { timeout: 20_000 });
      await page.click('[data-stream="hevc"] .preview-toggle');
      const message = await waitFor(async () => {
        const text = await page.$eval('[data-stream="hevc"] .error', (e) => e.textContent ?? '');
        return text ? text : undefined;
      }, 30_000, 'the preview to explain why it cannot play', 250);
      assert.match(message, /no H\.265 \(HEVC\) decoder .* cannot play hev1\.[^ ]+\. Open the HLS URL in Safari, VLC or ffplay, or the RTSP URL\./);
      assert.equal(await page.$eval('[data-stream="hevc"] video', (v) => (v as unknown as { hidden: boolean }).hidden), true, 'the preview closes (thumbnail back)');
      await page.screenshot({ path: join(shots, '5-hevc-explained.png') });
      await page.click('[data-stream="hevc"] .remove');
      await page.waitForSelector('[data-stream="hevc"]', { state: 'detached', timeout: 10_000 });
    } finally {
      await hevc.stop();
    }
  });
});

describe('web console in Chromium with users configured (sign-in with a session cookie)', { timeout: 180_000 }, () => {
  const OPERATOR = { user: 'operator', pass: 'op-console-S3cret' };
  let gw: Gateway;
  let pusher: TrackedProcess | undefined;
  let context: BrowserContext;
  let closeBrowser: () => Promise<void>;
  let page: Page;
  const logs: string[] = [];
  const shots = artifactDir('console');
  const signInShown = "!document.querySelector('#sign-in').hidden && document.querySelector('#console').hidden";

  before(async () => {
    gw = await startTestGateway({
      HLS_SEGMENT_DURATION: 1, HLS_PART_DURATION: 0.2, LOG_LEVEL: 'debug',
      AUTH_USERS: JSON.stringify([
        { user: OPERATOR.user, pass: OPERATOR.pass, permissions: [{ action: 'api' }, { action: 'read' }] },
        { user: 'drone', pass: 'drone-pw', permissions: [{ action: 'publish' }] },
      ]),
    });
    // Every log line (debug level) is kept, to look for the cookie in them.
    const stream = Reflect.get(gw.ctx.logger, pino.symbols.streamSym) as { write: (s: string) => boolean };
    stream.write = (line: string) => {
      logs.push(line);
      return true;
    };
    const clip = await renderClip({ seconds: 60, gop: 25, bframes: 2 });
    pusher = pushClip(clip, gw.rtmpPort, 'drone1?user=drone&pass=drone-pw');
    ({ context, close: closeBrowser } = await launchChromium());
    page = await context.newPage();
    await page.goto(`http://127.0.0.1:${gw.httpPort}/`);
  });

  after(async () => {
    await closeBrowser?.();
    await pusher?.kill();
    await gw?.stop();
    await killAll();
  });

  test('sign-in form first; a wrong password is refused; the right one shows the streams and a playing preview; sign-out revokes', async () => {
    await page.waitForFunction(signInShown, undefined, { timeout: 15_000 });
    assert.equal(await page.$$eval('[data-stream]', (els) => els.length), 0, 'nothing listed before signing in');
    await page.fill('#sign-in-form [name=user]', OPERATOR.user);
    await page.fill('#sign-in-form [name=pass]', 'not-the-password');
    await page.click('#sign-in-form button[type=submit]');
    await page.waitForFunction("document.querySelector('#sign-in-error').textContent.length > 0", undefined, { timeout: 15_000 });
    assert.match(await page.$eval('#sign-in-error', (e) => e.textContent ?? ''), /wrong user name or password/);
    assert.equal(await page.evaluate(signInShown), true, 'still at the sign-in form');
    assert.deepEqual(await context.cookies(), [], 'no cookie for a wrong password');
    await page.screenshot({ path: join(shots, '5-sign-in-refused.png') });

    await page.fill('#sign-in-form [name=pass]', OPERATOR.pass);
    await page.click('#sign-in-form button[type=submit]');
    await page.waitForSelector('[data-stream="drone1"]', { timeout: 20_000 });
    assert.equal(await page.$eval('#who-name', (e) => e.textContent), OPERATOR.user);
    const [cookie] = await context.cookies();
    assert.equal(cookie?.name, 'streamgate_session');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(cookie.secure, false, 'plain HTTP here: Secure is set only over HTTPS');
    assert.ok(cookie.expires > Date.now() / 1000 + 3600, 'the cookie expires (12 h by default)');
    assert.equal(await page.evaluate('document.cookie'), '', 'HttpOnly: the page\'s script cannot read it');

    // The preview is the HLS egress on its own port, opened by the same cookie.
    await page.click('[data-stream="drone1"] .preview-toggle');
    const [a, b] = await framesDecoded(page, 'drone1');
    assert.ok(b > a, `frames decoded keep increasing (${a} → ${b})`);
    await page.screenshot({ path: join(shots, '6-signed-in-preview.png') });

    await page.click('#sign-out');
    await page.waitForFunction(signInShown, undefined, { timeout: 15_000 });
    assert.equal(await page.$$eval('[data-stream]', (els) => els.length), 0, 'the streams are gone from the page');
    await page.screenshot({ path: join(shots, '7-signed-out.png') });
    // The old cookie value is dead on both ports, not just cleared in this browser.
    const old = `streamgate_session=${cookie.value}`;
    assert.equal((await fetch(`http://127.0.0.1:${gw.httpPort}/api/streams`, { headers: { cookie: old } })).status, 401);
    assert.equal((await fetch(`http://127.0.0.1:${gw.hlsPort}/drone1/index.m3u8`, { headers: { cookie: old } })).status, 401);
    // Secrets: the cookie value and the password appear in no log line (debug level).
    assert.ok(logs.some((l) => l.includes('console sign-in')), 'the sign-in is logged (without the cookie)');
    for (const line of logs) {
      assert.ok(!line.includes(cookie.value), `cookie value in a log line: ${line.slice(0, 200)}`);
      assert.ok(!line.includes(OPERATOR.pass), `password in a log line: ${line.slice(0, 200)}`);
    }
  });
});
