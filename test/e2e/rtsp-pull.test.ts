import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GstRtspServer, gstPlayRtsp, killAll } from '@streamgate/testing';
import { CAMERA_READ_TURN } from '@streamgate/platform';
import { decodeWithFfmpeg, waitForStream } from './gateway-harness';
import { CAMERA, PullGateway, startCamera, startPullGateway } from './rtsp-pull-harness';

/**
 * Issue "Pull RTSP cameras", end to end: GStreamer's RTSP server plays the camera (H.264 +
 * AAC, Basic or Digest), the gateway pulls it over UDP, TCP or auto, and ffmpeg and GStreamer
 * read it back from the gateway and decode every frame.
 */
const FPS = CAMERA.fps;
const GOP = CAMERA.gop;
const READ_SECONDS = 5;

const playing = (s: Record<string, unknown>): boolean => s.connected === true && s.playing === true && Number(s.packets_received) > 0;

describe('RTSP pull → RTSP play (all-in-one, GStreamer camera)', { timeout: 180_000 }, () => {
  let pg: PullGateway;
  const cameras = new Map<string, GstRtspServer>();

  before(async () => {
    pg = await startPullGateway();
  });

  after(async () => {
    await pg?.gw.stop();
    await Promise.all([...cameras.values()].map((c) => c.stop()));
    await killAll();
  });

  // [stream, transport, camera auth, reader transport, expected pull transport]
  const cases: Array<[string, 'udp' | 'tcp' | 'auto', 'basic' | 'digest' | undefined, 'tcp' | 'udp', 'udp' | 'tcp']> = [
    ['pull_udp_basic', 'udp', 'basic', 'tcp', 'udp'],
    ['pull_tcp_digest', 'tcp', 'digest', 'udp', 'tcp'],
    ['pull_auto_digest', 'auto', 'digest', 'tcp', 'udp'],
    ['pull_auto_open', 'auto', undefined, 'udp', 'udp'],
  ];
  describe('transports and auth', { concurrency: true }, () => {
    for (const [name, transport, auth, reader, expected] of cases) {
      test(`${transport} pull from a ${auth ?? 'open'} camera: status, then ffmpeg (${reader}) decodes the republished stream with -xerror`, async () => {
        const cam = await startCamera({ auth: auth && { method: auth, user: 'viewer', password: `pw-${name}-S3cret` } });
        cameras.set(name, cam);
        await pg.addCamera({ name, rtsp_url: cam.url('cam'), username: auth ? 'viewer' : null, password: auth ? `pw-${name}-S3cret` : null, transport });
        const s = await pg.waitStatus(name, 'playing with packets', playing);
        assert.equal(s.transport, expected);
        assert.equal(s.source, 'rtsp');
        await waitForStream(pg.gw.rtspPort, name);
        const r = await decodeWithFfmpeg(`rtsp://127.0.0.1:${pg.gw.rtspPort}/${name}`, reader, READ_SECONDS);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(r.timingProblems, [], `${name}: decoded frame timestamps`);
        assert.ok(Math.abs(r.video - FPS * READ_SECONDS) <= GOP, `${name}: decoded ${r.video} video frames, expected ${FPS * READ_SECONDS} ± ${GOP}`);
        assert.ok(r.audio > 0, `${name}: no audio decoded`);
        const after = await pg.status(name);
        assert.ok(Number(after.packets_received) > Number(s.packets_received));
        assert.ok(Number(after.bytes_received) > 0);
        assert.equal(after.reconnects, 0);
        assert.equal(after.last_error, null);
      });
    }
  });

  test('camera reads are coalesced (READ_COALESCE_MS, default 3 ms): the pulls above open read turns, and short turns wait', async () => {
    assert.equal(CAMERA_READ_TURN.coalesceMs, 3, 'the gateway applied its READ_COALESCE_MS');
    const before = { turns: CAMERA_READ_TURN.turns, coalesced: CAMERA_READ_TURN.coalesced };
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const turns = CAMERA_READ_TURN.turns - before.turns;
    const coalesced = CAMERA_READ_TURN.coalesced - before.coalesced;
    // Four cameras (TCP and UDP) at 25 fps + audio: dozens of read turns a second, nearly all short.
    assert.ok(turns >= 20, `${turns} read turns in 1 s`);
    assert.ok(coalesced >= turns / 2, `${coalesced} of ${turns} turns coalesced`);
    // At most one turn per coalescing period (plus the turns the timer itself ends).
    assert.ok(turns <= 1000 / 3 + 5, `${turns} turns in 1 s with 3 ms turns`);
  });

  for (const protocols of ['tcp', 'udp'] as const) {
    test(`GStreamer rtspsrc (${protocols}) decodes both tracks of a pulled camera`, async () => {
      const s = await pg.status('pull_auto_open');
      assert.ok(playing(s), JSON.stringify(s));
      // Rendering against the clock (sync=true), so a stall then a burst shows as a gap.
      const r = await gstPlayRtsp(`rtsp://127.0.0.1:${pg.gw.rtspPort}/pull_auto_open`, { protocols, seconds: READ_SECONDS, sync: true });
      assert.deepEqual(r.errors, [], 'GStreamer reported an error');
      assert.ok(r.reachedPlaying);
      assert.ok((r.maxGapMs.video ?? Infinity) <= 300, `gst ${protocols}: video stalled ${r.maxGapMs.video} ms after its first frame`);
      assert.ok(Math.abs(r.buffers.video - FPS * READ_SECONDS) <= 2 * GOP, `gst ${protocols}: ${r.buffers.video} video buffers`);
      assert.ok(r.buffers.audio > 0, `gst ${protocols}: no decoded audio`);
      assert.match(r.caps.video ?? '', /width=\(int\)320/);
    });
  }

  test('one camera session however many readers: 3 readers, the camera sees 1 session', async () => {
    const cam = cameras.get('pull_udp_basic');
    assert.ok(cam);
    const url = `rtsp://127.0.0.1:${pg.gw.rtspPort}/pull_udp_basic`;
    const readers = [decodeWithFfmpeg(url, 'tcp', READ_SECONDS), decodeWithFfmpeg(url, 'udp', READ_SECONDS), decodeWithFfmpeg(url, 'tcp', READ_SECONDS)];
    await new Promise((r) => setTimeout(r, 2500));
    assert.deepEqual(cam.sessions().cam, { sessions: 1, playing: 1 });
    assert.equal((await pg.status('pull_udp_basic')).readers, 3);
    for (const r of await Promise.all(readers)) {
      assert.equal(r.code, 0, r.stderr);
      assert.ok(Math.abs(r.video - FPS * READ_SECONDS) <= GOP, `decoded ${r.video}`);
    }
    assert.deepEqual(cam.sessions().cam, { sessions: 1, playing: 1 });
  });

  test('stop → TEARDOWN (camera session gone, status not playing); start → plays again; delete → gone', async () => {
    const cam = cameras.get('pull_tcp_digest');
    assert.ok(cam);
    const name = 'pull_tcp_digest';
    const before = await pg.waitStatus(name, 'frames counted', (s) => playing(s) && Number(s.frames_received) > 50, 15_000);
    assert.equal((await pg.api('POST', `/api/streams/${name}/stop`)).status, 200);
    await cam.waitForSessions((m) => m.cam?.sessions === 0, 10_000);
    await pg.waitStatus(name, 'not connected', (s) => s.connected === false && s.playing === false, 10_000);
    assert.equal((await pg.api('POST', `/api/streams/${name}/start`)).status, 200);
    // Counters count one run (README "Counters"): packets and frames both start over.
    const again = await pg.waitStatus(name, 'playing again, frames counted', (s) => playing(s) && Number(s.frames_received) > 0, 15_000);
    assert.ok(Number(again.packets_received) < Number(before.packets_received), `packets_received ${String(again.packets_received)} after start, ${String(before.packets_received)} before stop`);
    assert.ok(Number(again.frames_received) < Number(before.frames_received), `frames_received ${String(again.frames_received)} after start, ${String(before.frames_received)} before stop`);
    await cam.waitForSessions((m) => m.cam?.playing === 1, 10_000);
    assert.equal((await pg.api('DELETE', `/api/streams/${name}`)).status, 200);
    await cam.waitForSessions((m) => m.cam?.sessions === 0, 10_000);
  });

  test('no password in any API response, status entry or log line', async () => {
    const list = await pg.api('GET', '/api/streams');
    for (const [name] of cases) await pg.api('GET', `/api/streams/${name}`);
    assert.ok(Number(list.json.total) >= 3);
    const status = (await pg.gw.ctx.store.list('status/')).map((e) => e.value);
    const secrets = cases.filter(([, , auth]) => auth).map(([name]) => `pw-${name}-S3cret`);
    assert.ok(pg.logs.some((l) => l.includes('"msg":"playing"')), 'gateway log lines were captured');
    for (const secret of secrets) {
      for (const [where, texts] of [['API', pg.responses], ['status', status], ['logs', pg.logs]] as const) {
        const hit = texts.find((t) => t.includes(secret));
        assert.equal(hit, undefined, `${where} leaks a password: ${hit?.slice(0, 200)}`);
      }
    }
  });
});
