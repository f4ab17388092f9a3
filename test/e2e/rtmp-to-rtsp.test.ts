import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { killAll, spawnTracked } from '@streamgate/testing';
import type { Gateway } from '../../services/all-in-one';
import { decodeWithFfmpeg, probe, pushClip, renderClip, rtspStatus, startTestGateway, waitForStream } from './gateway-harness';

/**
 * Issue "RTMP push in, RTSP out", end to end against peers nobody here wrote: ffmpeg pushes
 * RTMP; ffmpeg/ffprobe and GStreamer read RTSP over TCP and UDP.
 */
const FPS = 25;
const GOP = 50;
const SECONDS = 6;
const PUSHED_FRAMES = FPS * SECONDS;

describe('RTMP push → RTSP play (all-in-one)', { timeout: 240_000 }, () => {
  let gw: Gateway;
  let clip: string;

  before(async () => {
    gw = await startTestGateway();
    clip = await renderClip({ seconds: SECONDS, fps: FPS, gop: GOP, bframes: 2 });
  });

  after(async () => {
    await killAll();
    await gw?.stop();
  });

  test('ffmpeg reads both tracks over TCP and UDP and decodes every frame (-xerror), frame count ±1 GOP', async () => {
    const push = pushClip(clip, gw.rtmpPort, 'e2e_decode');
    await waitForStream(gw.rtspPort, 'e2e_decode');
    const url = `rtsp://127.0.0.1:${gw.rtspPort}/e2e_decode`;
    const [tcp, udp] = await Promise.all([
      decodeWithFfmpeg(url, 'tcp', SECONDS + 10),
      decodeWithFfmpeg(url, 'udp', SECONDS + 10),
    ]);
    const pushed = await push.exited;
    assert.equal(pushed.code, 0, `pusher failed: ${push.stderr()}`);
    for (const [name, r] of [['tcp', tcp], ['udp', udp]] as const) {
      assert.equal(r.code, 0, `${name} reader: ${r.stderr}`);
      assert.ok(Math.abs(r.video - PUSHED_FRAMES) <= GOP, `${name}: decoded ${r.video} video frames of ${PUSHED_FRAMES}`);
      // AAC at 48 kHz: 1024 samples per frame.
      const audioFrames = Math.floor((48000 * SECONDS) / 1024);
      assert.ok(Math.abs(r.audio - audioFrames) <= (GOP / FPS) * 48, `${name}: decoded ${r.audio} audio frames of ~${audioFrames}`);
    }
  });

  test('ffprobe sees H.264 High and AAC over TCP and UDP', async () => {
    const push = pushClip(clip, gw.rtmpPort, 'e2e_probe');
    await waitForStream(gw.rtspPort, 'e2e_probe');
    const url = `rtsp://127.0.0.1:${gw.rtspPort}/e2e_probe`;
    for (const transport of ['tcp', 'udp'] as const) {
      const streams = await probe(url, transport);
      const video = streams.find((s) => s.codec_type === 'video');
      const audio = streams.find((s) => s.codec_type === 'audio');
      assert.equal(video?.codec_name, 'h264', transport);
      assert.equal(video?.profile, 'High', transport);
      assert.equal(video?.width, 640);
      assert.equal(video?.height, 360);
      assert.equal(audio?.codec_name, 'aac', transport);
      assert.equal(audio?.sample_rate, '48000', transport);
    }
    await push.kill();
  });

  for (const protocols of ['tcp', 'udp'] as const) {
    test(`GStreamer rtspsrc plays over ${protocols.toUpperCase()} and decodes both tracks`, async () => {
      const push = pushClip(clip, gw.rtmpPort, `e2e_gst_${protocols}`);
      await waitForStream(gw.rtspPort, `e2e_gst_${protocols}`);
      const url = `rtsp://127.0.0.1:${gw.rtspPort}/e2e_gst_${protocols}`;
      // Each rtspsrc pad is picked by its caps and decoded on its own branch.
      const gst = spawnTracked('gst-launch-1.0', ['-v', 'rtspsrc', 'name=s', `location=${url}`, `protocols=${protocols}`, 'latency=200',
        's.', '!', 'application/x-rtp,media=video', '!', 'queue', '!', 'decodebin', '!', 'video/x-raw', '!', 'fakesink', 'name=vsink', 'silent=false', 'sync=false',
        's.', '!', 'application/x-rtp,media=audio', '!', 'queue', '!', 'decodebin', '!', 'audio/x-raw', '!', 'fakesink', 'name=asink', 'silent=false', 'sync=false']);
      const timer = setTimeout(() => void gst.kill(), (SECONDS + 15) * 1000);
      const st = await gst.exited;
      clearTimeout(timer);
      await push.exited;
      const out = gst.stdout();
      const videoBuffers = (out.match(/vsink: last-message = chain/g) ?? []).length;
      const audioBuffers = (out.match(/asink: last-message = chain/g) ?? []).length;
      assert.ok(videoBuffers >= PUSHED_FRAMES - GOP, `gst ${protocols}: ${videoBuffers} video buffers (exit ${st.code})\n${gst.stderr().slice(-2000)}`);
      assert.ok(audioBuffers > 0, `gst ${protocols}: no decoded audio`);
      assert.doesNotMatch(gst.stderr() + out, /ERROR: from element/, 'GStreamer reported an error');
    });
  }

  test('merged TCP writes (RTSP_TCP_MERGE_READERS=1): ffmpeg decodes every frame of both tracks (-xerror)', async () => {
    // A gateway merging from the first TCP reader, so a real client reads merged writes.
    const merging = await startTestGateway({ RTSP_TCP_MERGE_MS: 40, RTSP_TCP_MERGE_READERS: 1 });
    try {
      const push = pushClip(clip, merging.rtmpPort, 'e2e_merged');
      await waitForStream(merging.rtspPort, 'e2e_merged');
      const r = await decodeWithFfmpeg(`rtsp://127.0.0.1:${merging.rtspPort}/e2e_merged`, 'tcp', SECONDS + 10);
      assert.equal((await push.exited).code, 0, `pusher failed: ${push.stderr()}`);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(Math.abs(r.video - PUSHED_FRAMES) <= GOP, `decoded ${r.video} video frames of ${PUSHED_FRAMES}`);
      const audioFrames = Math.floor((48000 * SECONDS) / 1024);
      assert.ok(Math.abs(r.audio - audioFrames) <= (GOP / FPS) * 48, `decoded ${r.audio} audio frames of ~${audioFrames}`);
      // The writes were merged (so the config reached the fan-out): units waited for the window,
      // most well past the ~0.3 ms of an unmerged write, and none much past the 40 ms window.
      const { values } = await merging.ctx.metrics.latency.get();
      const bucket = (le: number | string): number => values.find((v) => {
        const labels = v.labels as Record<string, string | number | undefined>;
        return labels.stream === 'e2e_merged' && labels.le === le;
      })?.value ?? 0;
      const total = bucket('+Inf');
      assert.ok(total > 100, `latency recorded for ${total} units`);
      assert.ok(bucket(0.005) / total < 0.5, `${bucket(0.005)} of ${total} units written within 5 ms: not merged`);
      assert.ok(bucket(0.1) / total > 0.99, `${total - bucket(0.1)} of ${total} units waited past 100 ms`);
    } finally {
      await merging.stop();
    }
  });

  test('push stops → reader ends cleanly; re-push under the same key → new readers play', async () => {
    const short = await renderClip({ seconds: 3, fps: FPS, gop: GOP });
    const first = pushClip(short, gw.rtmpPort, 'e2e_repush');
    await waitForStream(gw.rtspPort, 'e2e_repush');
    const url = `rtsp://127.0.0.1:${gw.rtspPort}/e2e_repush`;
    const t0 = Date.now();
    const reader = await decodeWithFfmpeg(url, 'tcp', 30);
    assert.equal((await first.exited).code, 0);
    assert.equal(reader.code, 0, reader.stderr);
    assert.ok(reader.video > 0);
    assert.ok(Date.now() - t0 < 15_000, 'reader ended soon after the publisher left');
    const second = pushClip(short, gw.rtmpPort, 'e2e_repush');
    await waitForStream(gw.rtspPort, 'e2e_repush');
    const again = await decodeWithFfmpeg(url, 'udp', 30);
    assert.equal(again.code, 0, again.stderr);
    assert.ok(again.video > 0, 'a new reader plays the re-published stream');
    await second.exited;
  });

  test('5 streams pushed at once, 20 readers spread across them, each gets its own content', async () => {
    const widths = [320, 352, 384, 416, 448];
    const clips = await Promise.all(widths.map((w) => renderClip({ seconds: 12, width: w, height: 240, gop: 25, audio: w % 64 === 0 })));
    const pushes = clips.map((c, i) => pushClip(c, gw.rtmpPort, `multi${i}`));
    await Promise.all(widths.map((_w, i) => waitForStream(gw.rtspPort, `multi${i}`)));
    const readers = Array.from({ length: 20 }, (_x, r) => {
      const i = r % widths.length;
      return probe(`rtsp://127.0.0.1:${gw.rtspPort}/multi${i}`, r % 2 === 0 ? 'tcp' : 'udp')
        .then((streams) => ({ i, width: streams.find((s) => s.codec_type === 'video')?.width }));
    });
    const results = await Promise.all(readers);
    for (const r of results) assert.equal(r.width, widths[r.i], `reader of multi${r.i} got width ${r.width}`);
    for (const p of pushes) await p.kill();
  });

  test('GET /streams lists the live RTMP stream with its RTSP URL and counters', async () => {
    const push = pushClip(clip, gw.rtmpPort, 'e2e_api');
    await waitForStream(gw.rtspPort, 'e2e_api');
    await new Promise((r) => setTimeout(r, 2500));
    const res = await fetch(`http://127.0.0.1:${gw.httpPort}/streams`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { total: number; streams: Record<string, unknown>[] };
    const s = body.streams.find((x) => x.stream_key === 'e2e_api');
    assert.ok(s, JSON.stringify(body));
    assert.equal(s.active, true);
    assert.equal(s.rtsp_url, `rtsp://127.0.0.1:${gw.rtspPort}/e2e_api`);
    assert.ok(Number(s.bytes_received) > 10_000);
    assert.ok(Number(s.frames_received) > 10);
    await push.kill();
  });

  test('garbage on 1935 and 8554 closes only the offending connections; the stream keeps flowing', async () => {
    const push = pushClip(clip, gw.rtmpPort, 'e2e_garbage');
    await waitForStream(gw.rtspPort, 'e2e_garbage');
    const url = `rtsp://127.0.0.1:${gw.rtspPort}/e2e_garbage`;
    const reading = decodeWithFfmpeg(url, 'tcp', SECONDS + 10);
    const closedByServer = (port: number, payload: Buffer): Promise<boolean> => new Promise((resolve) => {
      const s = connect(port, '127.0.0.1', () => s.write(payload));
      const t = setTimeout(() => {
        s.destroy();
        resolve(false);
      }, 5000);
      s.on('data', () => undefined);
      s.on('error', () => undefined);
      s.on('close', () => {
        clearTimeout(t);
        resolve(true);
      });
    });
    const junk = Buffer.alloc(64 * 1024, 0x5a);
    assert.ok(await closedByServer(gw.rtmpPort, Buffer.concat([Buffer.from([0x07]), junk])), 'RTMP: bad version byte closes');
    assert.ok(await closedByServer(gw.rtspPort, Buffer.from('GARBAGE\r\n\r\n')), 'RTSP: malformed request closes');
    assert.ok(await closedByServer(gw.rtspPort, Buffer.from(`OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`)), 'RTSP: huge header closes');
    assert.equal(await rtspStatus(gw.rtspPort, 'DESCRIBE', 'no_such_stream'), 404);
    assert.equal(await rtspStatus(gw.rtspPort, 'PLAY', 'e2e_garbage', 'Session: 12345678\r\n'), 454);
    const r = await reading;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Math.abs(r.video - PUSHED_FRAMES) <= GOP, `reader kept decoding: ${r.video} frames`);
    await push.exited;
  });
});
