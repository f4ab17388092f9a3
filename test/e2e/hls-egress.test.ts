import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GstRtspServer, TrackedProcess, gstPlayHls, killAll, startGstRtspServer, waitFor } from '@streamgate/testing';
import type { Gateway } from '../../services/all-in-one';
import { pushClip, renderClip, startTestGateway } from './gateway-harness';
import { assertValid, fetchBytes, fetchText, ffmpegDecodeHls, followLowLatency, probeSegment } from './hls/hls-clients';

/**
 * Issue #15, HLS egress: independent HLS clients (ffmpeg, GStreamer hlsdemux and hlsdemux2)
 * play every source kind — RTMP H.264+AAC with B-frames, camera H.264, camera H.265 — and the
 * playlists pass our RFC 8216 / LL-HLS rule check (test/e2e/hls/playlist-rules.ts),
 * cross-checked with ffprobe on the segments themselves.
 */
describe('HLS egress with real players', { timeout: 240_000 }, () => {
  let gw: Gateway;
  let cameras: GstRtspServer;
  let pusher: TrackedProcess;
  const hls = (stream: string): string => `http://127.0.0.1:${gw.hlsPort}/${stream}/`;
  const api = (path: string, body?: unknown): Promise<Response> => fetch(`http://127.0.0.1:${gw.httpPort}${path}`, {
    method: body === undefined ? 'GET' : 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });

  before(async () => {
    gw = await startTestGateway({ HLS_SEGMENT_DURATION: 1, HLS_PART_DURATION: 0.2, HLS_IDLE_TIMEOUT: 3 });
    // Long enough for all four tests on a loaded machine (the last one reads drone1 too).
    const clip = await renderClip({ seconds: 150, gop: 25, bframes: 2 });
    pusher = pushClip(clip, gw.rtmpPort, 'drone1');
    cameras = await startGstRtspServer({ mounts: ['cam'], gop: 25, fps: 25, width: 640, height: 360 });
  });

  after(async () => {
    await gw?.stop();
    await cameras?.stop();
    await pusher?.kill();
    await killAll();
  });

  const h265Camera = async (): Promise<GstRtspServer> => startGstRtspServer({ mounts: ['cam'], codec: 'h265', gop: 25, fps: 25, width: 640, height: 360, audio: false });

  async function playsEverywhere(stream: string, expect: { video: string; audio?: string }): Promise<void> {
    const base = hls(stream);
    // Multivariant playlist: valid, names the codecs.
    const first = await waitFor(async () => {
      const r = await fetchText(`${base}index.m3u8`);
      return r.status === 200 ? r : undefined;
    }, 20_000, `${stream} index.m3u8`, 250);
    assertValid(first.text, 'multivariant playlist');
    assert.match(first.text, new RegExp(`CODECS="${expect.video}[^"]*${expect.audio ? `,${expect.audio}` : ''}"`));
    assert.equal(first.headers.get('access-control-allow-origin'), '*');
    assert.equal(first.headers.get('cache-control'), 'no-cache');

    // LL-HLS: blocking reloads along the preload hints; every playlist valid.
    const ll = await followLowLatency(base, 8);
    assert.deepEqual(ll.violations, []);
    const last = ll.playlists[ll.playlists.length - 1];
    assert.ok(last.partTarget !== undefined && last.partTarget <= 0.25, `PART-TARGET ${last.partTarget}`);

    // ffprobe on a complete segment: the codecs, a keyframe first, and the EXTINF duration.
    const text = (await fetchText(`${base}stream.m3u8`)).text;
    const media = assertValid(text, 'media playlist');
    assert.ok(media && media.segments.length > 0);
    const init = await fetchBytes(`${base}${/#EXT-X-MAP:URI="([^"]+)"/.exec(text)?.[1]}`);
    const segment = media.segments[media.segments.length - 1];
    // Fetched before probing: a loaded machine's ffprobe can outlast the parts' three target durations.
    const segmentBytes = await fetchBytes(`${base}${segment.uri}`);
    const firstPart = segment.parts.length > 0 ? await fetchBytes(`${base}${segment.parts[0].uri}`) : undefined;
    const probed = await probeSegment(init, segmentBytes);
    assert.deepEqual(probed.streams.map((s) => s.codec_type).sort(), expect.audio ? ['audio', 'video'] : ['video']);
    const video = probed.packets.filter((p) => p.codec_type === 'video');
    assert.ok(video[0].flags.startsWith('K'), 'the segment starts with a keyframe');
    const frames = video.length;
    assert.ok(Math.abs(frames / 25 - segment.duration) <= 0.041, `${frames} frames at 25 fps vs EXTINF ${segment.duration}`);
    if (firstPart) {
      const part = await probeSegment(init, firstPart);
      assert.ok(part.packets.filter((p) => p.codec_type === 'video')[0].flags.startsWith('K'), 'the first part is independent');
    }

    // ffmpeg: decodes video (and audio) without one error.
    const decoded = await ffmpegDecodeHls(`${base}index.m3u8`, 4);
    assert.equal(decoded.errors, '', 'ffmpeg decodes without errors');
    assert.ok(decoded.video >= 75, `ffmpeg decoded ${decoded.video} video frames`);
    if (expect.audio) assert.ok(decoded.audio > 100, `ffmpeg decoded ${decoded.audio} audio frames`);

    // GStreamer's two HLS demuxers.
    for (const demuxer of ['hlsdemux', 'hlsdemux2'] as const) {
      const played = await gstPlayHls(`${base}index.m3u8`, { seconds: 5, hlsDemuxer: demuxer });
      assert.deepEqual(played.errors, [], `${demuxer}: ${played.stderr.slice(-500)}`);
      // Half a second of frames proves demux + decode; more is load-dependent (software HEVC on 2 shared cores).
      assert.ok(played.buffers.video > 12, `${demuxer} decoded ${played.buffers.video} video frames`);
      if (expect.audio) assert.ok(played.buffers.audio > 25, `${demuxer} decoded ${played.buffers.audio} audio buffers`);
    }
  }

  test('RTMP H.264 (B-frames) + AAC', async () => {
    await playsEverywhere('drone1', { video: 'avc1\\.64', audio: 'mp4a\\.40\\.2' });
  });

  test('camera H.264 + AAC', async () => {
    assert.equal((await api('/api/streams', { name: 'gate', rtsp_url: cameras.url('cam'), transport: 'tcp' })).status, 201);
    await playsEverywhere('gate', { video: 'avc1\\.64', audio: 'mp4a\\.40\\.2' });
  });

  test('camera H.265', async () => {
    const cam = await h265Camera();
    try {
      assert.equal((await api('/api/streams', { name: 'hevc', rtsp_url: cam.url('cam'), transport: 'tcp' })).status, 201);
      await playsEverywhere('hevc', { video: 'hev1\\.' });
    } finally {
      await cam.stop();
    }
  });

  test('HTTP edges: 404s, 400 for a bad _HLS_msn, CORS preflight, segment cache headers, muxer stops when idle', async () => {
    assert.equal((await fetchText(`${hls('nosuchstream')}index.m3u8`)).status, 404);
    assert.equal((await fetchText(`${hls('drone1')}deadbeef_seg1.mp4`)).status, 404);
    assert.equal((await fetchText(`http://127.0.0.1:${gw.hlsPort}/bad.name/index.m3u8`)).status, 404);
    const text = (await fetchText(`${hls('drone1')}stream.m3u8`)).text;
    const media = assertValid(text, 'media playlist');
    assert.ok(media);
    const far = media.mediaSequence + media.segments.length + 10;
    assert.equal((await fetchText(`${hls('drone1')}stream.m3u8?_HLS_msn=${far}`)).status, 400);
    assert.equal((await fetchText(`${hls('drone1')}stream.m3u8?_HLS_part=1`)).status, 400);
    const pre = await fetch(`${hls('drone1')}index.m3u8`, { method: 'OPTIONS', headers: { origin: 'http://example.test', 'access-control-request-method': 'GET' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    const seg = await fetch(`${hls('drone1')}${media.segments[0].uri}`);
    assert.equal(seg.status, 200);
    assert.equal(seg.headers.get('content-type'), 'video/mp4');
    assert.match(seg.headers.get('cache-control') ?? '', /max-age=\d+/);
    // No request for HLS_IDLE_TIMEOUT (3 s): the muxers stop and their reader series go.
    const metrics = async (): Promise<string> => (await fetch(`http://127.0.0.1:${gw.metricsPort}/metrics`)).text();
    assert.match(await metrics(), /streamgate_hls_parts_total\{[^}]*stream="drone1"/);
    await waitFor(async () => (/streamgate_hls_muxers\{[^}]*\} 0/.test(await metrics()) ? true : undefined), 15_000, 'HLS muxers to stop when idle', 500);
    assert.doesNotMatch(await metrics(), /streamgate_hls_readers\{[^}]*stream="drone1"/);
  });
});
