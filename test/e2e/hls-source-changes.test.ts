import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrackedProcess, ffmpegPushRtmp, killAll, makeTestClip, spawnTracked, waitFor, withTimeout } from '@streamgate/testing';
import type { Gateway } from '../../services/all-in-one';
import { startTestGateway } from './gateway-harness';
import { launchChromium } from './console/chromium';
import { assertValid, fetchBytes, fetchText, probeSegment } from './hls/hls-clients';
import { ParsedMediaPlaylist, checkReloads } from './hls/playlist-rules';

/**
 * Issue #15, HLS when the source changes under the readers:
 * - a GOP that grows mid-stream beyond the segment duration: EXT-X-TARGETDURATION stays what it
 *   was (RFC 8216 §6.2.1) and no EXTINF rounds above it (§4.3.3.1); the long GOP is cut into
 *   segments that do not start with a keyframe, and the multivariant playlist stops claiming
 *   EXT-X-INDEPENDENT-SEGMENTS;
 * - an RTMP re-publish at another resolution: a new init segment (new URI) after
 *   EXT-X-DISCONTINUITY, and hls.js in Chromium and ffmpeg keep playing across it.
 */
describe('HLS across source changes', { timeout: 240_000 }, () => {
  let gw: Gateway;
  const pushers: TrackedProcess[] = [];
  const hls = (stream: string): string => `http://127.0.0.1:${gw.hlsPort}/${stream}/`;
  const push = (file: string, key: string): TrackedProcess => {
    const p = ffmpegPushRtmp(`rtmp://127.0.0.1:${gw.rtmpPort}/live/${key}`, { clip: file });
    pushers.push(p);
    return p;
  };
  const playable = (stream: string, timeoutMs = 20_000): Promise<string> => waitFor(async () => {
    const r = await fetchText(`${hls(stream)}index.m3u8`).catch(() => undefined);
    return r?.status === 200 ? r.text : undefined;
  }, timeoutMs, `${stream} index.m3u8`, 200);

  before(async () => {
    gw = await startTestGateway({ HLS_SEGMENT_DURATION: 1, HLS_PART_DURATION: 0.2, HLS_SEGMENT_COUNT: 7 });
  });

  after(async () => {
    for (const p of pushers) await p.kill();
    await gw?.stop();
    await killAll();
  });

  test('GOPs of 1 s for 8 s, then of 4 s (1 s segments): the target duration stays 1 and every playlist and reload is valid', async () => {
    // x264 makes keyframes only where forced: every 25 frames (1 s) for 200 frames, then every 100.
    const clip = await makeTestClip({ seconds: 24, gop: 250, bframes: 0, forceKeyFrames: 'expr:if(lt(n,200),eq(mod(n,25),0),eq(mod(n,100),0))' });
    const t0 = Date.now();
    push(clip.flv, 'longgop');
    await playable('longgop');
    assert.ok(Date.now() - t0 < 7000, 'the muxer started during the 1 s GOPs');
    const playlists: ParsedMediaPlaylist[] = [];
    let last = '';
    // A player joining inside the 4 s GOPs (its start segment, 3 back from the live edge, is cut
    // without a keyframe): ffmpeg copies the stream to MPEG-TS (-c copy, as a recorder or
    // re-streamer does) across the cut segments that follow.
    let joiner: TrackedProcess | undefined;
    const ts = join(mkdtempSync(join(tmpdir(), 'sg-hls-longgop-')), 'joined.ts');
    // Reload until 19 s into the clip: three 4 s GOPs have been muxed by then.
    while (Date.now() - t0 < 19_000) {
      last = (await fetchText(`${hls('longgop')}stream.m3u8`)).text;
      const media = assertValid(last, `media playlist ${playlists.length}`);
      assert.ok(media);
      playlists.push(media);
      if (!joiner && Date.now() - t0 > 13_500) {
        joiner = spawnTracked('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', `${hls('longgop')}index.m3u8`, '-map', '0:v', '-c', 'copy', '-t', '8', '-f', 'mpegts', '-y', ts]);
        pushers.push(joiner);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.deepEqual(checkReloads(playlists), [], 'R1-R3 across reloads');
    assert.deepEqual([...new Set(playlists.map((p) => p.targetDuration))], [1], 'EXT-X-TARGETDURATION:1 throughout');
    const final = playlists[playlists.length - 1];
    // A segment cut inside a 4 s GOP: its first part is not INDEPENDENT, its first frame no keyframe.
    const cut = final.segments.find((s) => s.parts.length > 0 && !s.parts[0].independent);
    assert.ok(cut, `a segment cut without a keyframe:\n${last}`);
    const init = await fetchBytes(`${hls('longgop')}${/#EXT-X-MAP:URI="([^"]+)"/.exec(last)?.[1]}`);
    const probed = await probeSegment(init, await fetchBytes(`${hls('longgop')}${cut.uri}`));
    const video = probed.packets.filter((p) => p.codec_type === 'video');
    assert.ok(!video[0].flags.startsWith('K'), 'the cut segment starts without a keyframe');
    assert.ok(Math.abs(video.length / 25 - cut.duration) <= 0.041, `${video.length} frames vs EXTINF ${cut.duration}`);
    assert.doesNotMatch(await playable('longgop'), /INDEPENDENT-SEGMENTS/, 'no longer claimed once a segment is cut without a keyframe');

    assert.ok(joiner, 'the joining player was started');
    const joined = await withTimeout(joiner.exited, 20_000, 'ffmpeg -c copy to .ts from inside a long GOP');
    assert.equal(joined.code, 0, joiner.stderr());
    // The .ts decodes cleanly from its start (a keyframe), with increasing timestamps across the cut segments.
    const check = spawnTracked('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'frame=pts,key_frame', '-of', 'csv=p=0', ts]);
    const checked = await withTimeout(check.exited, 20_000, 'ffprobe of the joined .ts');
    assert.equal(checked.code, 0, check.stderr());
    assert.equal(check.stderr().trim(), '', 'no decode error in the .ts of a player that joined at a cut segment');
    const frames = check.stdout().trim().split('\n').map((l) => l.split(',').map(Number));
    // -t counts from the join; the frames before the next keyframe (< 4 s, one long GOP) are not copied.
    assert.ok(frames.length >= 90, `${frames.length} frames decoded from the joined .ts (8 s asked, less under one 4 s GOP skipped)`);
    assert.equal(frames[0][0], 1, 'the first decoded frame is a keyframe');
    const pts = frames.map((f) => f[1]);
    assert.ok(pts.every((p, i) => i === 0 || p > pts[i - 1]), 'presentation times increase across the cut segments');
  });

  test('RTMP re-publish at another resolution: new init segment after EXT-X-DISCONTINUITY; hls.js in Chromium and ffmpeg play across it', async () => {
    const [first, second] = await Promise.all([
      makeTestClip({ seconds: 60, width: 640, height: 360, gop: 25, bframes: 0 }),
      makeTestClip({ seconds: 14, width: 320, height: 180, gop: 25, bframes: 0 }),
    ]);
    const pusher = push(first.flv, 'republish');
    const multivariant = await playable('republish');
    assert.match(multivariant, /RESOLUTION=640x360/);
    const url = `${hls('republish')}index.m3u8`;
    // ffmpeg reads the stream (its own HLS demuxer) until it has decoded frames after the change; showinfo prints each frame's size.
    const ffmpeg = spawnTracked('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'level+info', '-i', url, '-map', '0:v', '-vf', 'showinfo', '-f', 'null', '-']);
    pushers.push(ffmpeg);
    const { context, close } = await launchChromium();
    try {
      const page = await context.newPage();
      await page.setContent('<video id="v" muted autoplay playsinline></video>');
      await page.addScriptTag({ path: require.resolve('hls.js/dist/hls.min.js') });
      await page.evaluate(`(() => {
        window.errors = [];
        const h = new Hls({ lowLatencyMode: true });
        h.on(Hls.Events.ERROR, (_e, d) => { if (d.fatal) window.errors.push(d.type + ':' + d.details); });
        h.loadSource(${JSON.stringify(url)});
        h.attachMedia(document.getElementById('v'));
      })()`);
      const state = async (): Promise<{ width: number; frames: number; errors: string[] }> => page.evaluate(
        '(() => { const v = document.getElementById("v"); return { width: v.videoWidth, frames: v.getVideoPlaybackQuality().totalVideoFrames, errors: window.errors }; })()',
      ) as Promise<{ width: number; frames: number; errors: string[] }>;
      await waitFor(async () => {
        const s = await state();
        return s.width === 640 && s.frames > 50 ? true : undefined;
      }, 40_000, 'hls.js playing 640x360', 250);
      // The publisher goes (an encoder restart) and comes back at 320x180.
      await pusher.kill();
      push(second.flv, 'republish');
      const changed = await waitFor(async () => {
        const t = (await fetchText(`${hls('republish')}stream.m3u8`)).text;
        return /#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="[0-9a-f]{8}_init1\.mp4"/.test(t) ? t : undefined;
      }, 25_000, 'a discontinuity and the new init in the media playlist', 200);
      assertValid(changed, 'media playlist at the change');
      assert.equal((await fetch(`${hls('republish')}${/"([0-9a-f]{8}_init1\.mp4)"/.exec(changed)?.[1]}`)).status, 200, 'the new init segment is served');
      const switched = await waitFor(async () => {
        const s = await state();
        return s.width === 320 ? s : undefined;
      }, 25_000, 'hls.js to show the 320x180 frames', 250);
      await new Promise((r) => setTimeout(r, 2000));
      const later = await state();
      assert.ok(later.frames > switched.frames + 25, `frames decoded after the change: ${switched.frames} → ${later.frames}`);
      assert.deepEqual(later.errors, [], 'no fatal hls.js error');
    } finally {
      await close();
    }
    const text = (await fetchText(`${hls('republish')}stream.m3u8`)).text;
    assertValid(text, 'media playlist after the change');
    assert.match(text, /#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="[0-9a-f]{8}_init1\.mp4"|#EXT-X-DISCONTINUITY-SEQUENCE:1\n#EXT-X-MAP:URI="[0-9a-f]{8}_init1\.mp4"/);
    assert.match(await playable('republish'), /RESOLUTION=320x180/);
    await waitFor(() => (/s:320x180 [\s\S]*s:320x180 [\s\S]*s:320x180 /.test(ffmpeg.stderr()) ? true : undefined), 20_000, 'ffmpeg to decode 320x180 frames', 250)
      .catch((e: unknown) => assert.fail(`${String(e)}\n${ffmpeg.stderr().slice(-2000)}`));
    await new Promise((r) => setTimeout(r, 3000));
    await ffmpeg.kill();
    const decoded = { stderr: ffmpeg.stderr() };
    const sizes = [...decoded.stderr.matchAll(/\[Parsed_showinfo[^\n]* s:(\d+x\d+) /g)].map((m) => m[1]);
    assert.ok(sizes.includes('640x360') && sizes.includes('320x180'), `ffmpeg frame sizes: ${[...new Set(sizes)].join(', ')}`);
    assert.ok(sizes.lastIndexOf('640x360') < sizes.indexOf('320x180'), 'one switch');
    const errors = decoded.stderr.split('\n').filter((l) => /\[(error|fatal)\]/.test(l));
    assert.deepEqual(errors, [], 'ffmpeg decodes across the change without errors');
  });
});
