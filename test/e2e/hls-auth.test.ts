import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ffmpegPushRtmp, killAll, waitFor } from '@streamgate/testing';
import type { Gateway } from '../../services/all-in-one';
import { renderClip, startTestGateway } from './gateway-harness';
import { ffmpegDecodeHls } from './hls/hls-clients';

/**
 * HLS honours the `read` permission (MediaMTX's users model, ctx.access): anonymous → 401 with a
 * Basic challenge, a user without read on the stream → 403, a reader → plays (ffmpeg with
 * credentials in the URL answers the challenge on every playlist, segment and part). The web
 * console's session cookie, set by the API on another port of the same host, is accepted too
 * (with credentialed CORS for that host's pages), and not after sign-out.
 */
const ADMIN = { user: 'admin', pass: 'admin-secret-1' };
const VIEWER = { user: 'viewer', pass: 'viewer-secret-1' };
const OPERATOR = { user: 'operator', pass: 'operator-secret-1' };
let gw: Gateway;

before(async () => {
  gw = await startTestGateway({
    AUTH_USERS: JSON.stringify([
      { user: ADMIN.user, pass: ADMIN.pass, permissions: [{ action: 'read' }, { action: 'publish' }] },
      { user: VIEWER.user, pass: VIEWER.pass, permissions: [{ action: 'read', path: 'cam1' }] },
      { user: OPERATOR.user, pass: OPERATOR.pass, permissions: [{ action: 'read', path: 'cam1' }, { action: 'api' }] },
    ]),
  });
  const clip = await renderClip({ seconds: 4, fps: 25, gop: 25, bframes: 0, audio: false });
  ffmpegPushRtmp(`rtmp://127.0.0.1:${gw.rtmpPort}/live/cam1?user=${ADMIN.user}&pass=${ADMIN.pass}`, { clip, loop: true });
});

after(async () => {
  await killAll();
  await gw?.stop();
});

const basic = (c: { user: string; pass: string }): string => `Basic ${Buffer.from(`${c.user}:${c.pass}`).toString('base64')}`;

test('HLS read permission: 401 anonymous, 403 without read on the stream, 200 and playable for a reader', { timeout: 90_000 }, async () => {
  const url = (stream: string): string => `http://127.0.0.1:${gw.hlsPort}/${stream}/index.m3u8`;
  const anonymous = await fetch(url('cam1'));
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Basic /);
  assert.equal((await fetch(url('other'), { headers: { authorization: basic(VIEWER) } })).status, 403);
  assert.equal((await fetch(url('cam1'), { headers: { authorization: basic({ user: VIEWER.user, pass: 'wrong' }) } })).status, 401);
  const ok = await waitFor(async () => {
    const r = await fetch(url('cam1'), { headers: { authorization: basic(VIEWER) } });
    return r.status === 200 ? r : undefined;
  }, 30_000, 'the reader to get the multivariant playlist', 300);
  assert.match(await ok.text(), /^#EXTM3U/);
  const decoded = await ffmpegDecodeHls(`http://${VIEWER.user}:${VIEWER.pass}@127.0.0.1:${gw.hlsPort}/cam1/index.m3u8`, 2);
  assert.equal(decoded.errors, '');
  assert.ok(decoded.video >= 25, `ffmpeg decoded ${decoded.video} frames with credentials`);
});

test('console session cookie: set by POST /api/session, accepted by the API and HLS, revoked by sign-out; CSRF-guarded', { timeout: 60_000 }, async () => {
  const api = `http://127.0.0.1:${gw.httpPort}`;
  const hls = `http://127.0.0.1:${gw.hlsPort}/cam1/index.m3u8`;
  const signIn = (body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${api}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  assert.deepEqual(await (await fetch(`${api}/api/session`)).json(), { restricted: true, sign_in: true, user: null });
  const wrong = await signIn({ user: OPERATOR.user, pass: 'wrong' });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.headers.get('set-cookie'), null);
  assert.equal((await signIn(VIEWER)).status, 403, 'a user without api cannot sign in to the console');
  const csrf = await signIn(OPERATOR, { origin: 'http://evil.test' });
  assert.equal(csrf.status, 403, 'a sign-in posted by another site is refused (login CSRF)');
  assert.equal(csrf.headers.get('set-cookie'), null);

  const ok = await signIn(OPERATOR);
  assert.equal(ok.status, 200);
  assert.equal(((await ok.json()) as { user: string }).user, OPERATOR.user);
  const setCookie = ok.headers.get('set-cookie') ?? '';
  const m = /^streamgate_session=([A-Za-z0-9_-]{43}); Path=\/; Max-Age=(\d+); HttpOnly; SameSite=Strict$/.exec(setCookie);
  assert.ok(m, `cookie attributes: ${setCookie}`);
  assert.ok(Number(m[2]) > 3600 && Number(m[2]) <= 12 * 3600, 'expires (CONSOLE_SESSION_TTL, 12 h)');
  const cookie = `streamgate_session=${m[1]}`;

  assert.deepEqual(await (await fetch(`${api}/api/session`, { headers: { cookie } })).json(), { restricted: true, sign_in: true, user: OPERATOR.user });
  assert.equal((await fetch(`${api}/api/streams`, { headers: { cookie } })).status, 200, 'the API accepts the cookie');
  assert.equal((await fetch(`${api}/api/streams`)).status, 401);
  const events = new AbortController();
  const sse = await fetch(`${api}/api/streams/cam1/events`, { headers: { cookie }, signal: events.signal });
  assert.equal(sse.status, 200, 'the live-status SSE accepts the cookie (EventSource sends it)');
  assert.match(sse.headers.get('content-type') ?? '', /^text\/event-stream/);
  events.abort();
  // A write with the cookie from another site's page: refused by the Origin check.
  const crossSite = await fetch(`${api}/api/streams/cam1/stop`, { method: 'POST', headers: { cookie, origin: 'http://evil.test' } });
  assert.equal(crossSite.status, 403);

  // HLS on another port of the same host takes the cookie; the console's origin gets credentialed CORS.
  const consoleOrigin = api;
  const playlist = await waitFor(async () => {
    const r = await fetch(hls, { headers: { cookie, origin: consoleOrigin } });
    return r.status === 200 ? r : undefined;
  }, 30_000, 'HLS with the session cookie', 300);
  assert.match(await playlist.text(), /^#EXTM3U/);
  assert.equal(playlist.headers.get('access-control-allow-origin'), consoleOrigin);
  assert.equal(playlist.headers.get('access-control-allow-credentials'), 'true');
  const foreign = await fetch(hls, { headers: { cookie, origin: 'http://evil.test' } });
  assert.equal(foreign.headers.get('access-control-allow-origin'), '*', 'another site gets no credentialed CORS');
  assert.equal(foreign.headers.get('access-control-allow-credentials'), null);
  assert.equal((await fetch(`http://127.0.0.1:${gw.hlsPort}/other/index.m3u8`, { headers: { cookie } })).status, 403, 'the session carries the user\'s permissions');
  assert.equal((await fetch(hls, { headers: { cookie: 'streamgate_session=' + 'A'.repeat(43) } })).status, 401, 'a made-up session');

  const out = await fetch(`${api}/api/session`, { method: 'DELETE', headers: { cookie } });
  assert.equal(out.status, 204);
  assert.match(out.headers.get('set-cookie') ?? '', /^streamgate_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict$/);
  assert.equal((await fetch(`${api}/api/streams`, { headers: { cookie } })).status, 401, 'revoked on the API');
  assert.equal((await fetch(hls, { headers: { cookie } })).status, 401, 'revoked on HLS');
});
