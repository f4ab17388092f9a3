import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CUT_TAIL_UNITS, ffmpegPushRtmp, ffmpegRecordRtsp, ffprobePackets, GstRtspServer, gstPlayRtsp, judgeTiming, killAll, makeTestClip, mpvPlayRtsp,
  RecordFormat, RtspTransport, startGstRtspServer, TestClip, TrackedProcess, waitFor,
} from '@streamgate/testing';
import { waitForStream } from './gateway-harness';
import { PullGateway, startPullGateway } from './rtsp-pull-harness';

/**
 * Issue #11's conformance matrix: what recorders and players do with our output, from the
 * first frame. Sources {RTMP H.264 High with B-frames + AAC, camera H.264 (B-frames) + AAC,
 * camera H.265} × consumers {ffmpeg -c copy to mpegts/matroska/flv/mp4, ffprobe packet
 * timestamps, GStreamer playbin/uridecodebin at its default 2000 ms latency rendering with
 * sync=true, mpv with its defaults} × {TCP, UDP}. The recorders and probes of one source run at
 * once (stream copies cost little CPU), then its players (GStreamer, mpv); the sources one after
 * the other.
 */
const READ_SECONDS = 4;
const FORMATS: RecordFormat[] = ['mpegts', 'matroska', 'flv', 'mp4'];
/** "No consumer stalls more than 300 ms after its first frame." */
const MAX_STALL_MS = 300;
/** A/V: an audio timeline that jumps against video (a late first sender report) breaks sync. */
const MAX_AUDIO_JUMP_S = 0.04;
/** ffmpeg's own dts guess for the first B-frames (no dts in RTP) draws this warning from every muxer. */
const DTS_GUESS_WARNING = /Non-monotonous DTS|Invalid DTS/;
/** mpv on the first frames of an HEVC RTSP stream (the camera read directly draws it too). */
const MPV_FIRST_FRAME_PTS = /Invalid video timestamp: 0\.000000 -> 0\.000000/;

interface Source {
  name: string;
  audio: boolean;
  /** Containers that can hold the codec (ffmpeg 5.1's flv muxer has no HEVC). */
  formats: RecordFormat[];
}

/**
 * Lets a new stream run for more than one GOP before the readers come, so they are led in by
 * the real video unit before the cached keyframe (GopCache). Readers joining in the first GOP
 * are led in by a made-up skipped picture instead: the first-GOP tests below judge that.
 */
async function pastFirstGop(pg: PullGateway, name: string): Promise<void> {
  // By frames, not wall time: under load the source starts late, and 2.5 s of wall time once
  // left every cell joining in the first GOP (each recording failed on an unled keyframe).
  // /api/streams/<name> serves RTMP publishes and cameras alike (video frames, from the
  // packetizer or the RTMP ingest); a 404 before the status exists has no count.
  const frames = async (): Promise<number> => {
    const s = await pg.status(name);
    return typeof s.frames_received === 'number' ? s.frames_received : 0;
  };
  await waitFor(async () => ((await frames()) > GOP_FRAMES + 10 ? true : undefined), 30_000, `${name} past its first GOP (${GOP_FRAMES} frames)`, 200);
}

/** Every source here has a 50-frame GOP (2 s at 25 fps). */
const GOP_FRAMES = 50;

async function checkCells(pg: PullGateway, source: Source): Promise<void> {
  const url = `rtsp://127.0.0.1:${pg.gw.rtspPort}/${source.name}`;
  const failures: string[] = [];
  const cell = async (what: string, run: () => Promise<string[]>): Promise<void> => {
    try {
      for (const problem of await run()) failures.push(`${source.name} ${what}: ${problem}`);
    } catch (err) {
      failures.push(`${source.name} ${what}: ${String(err)}`);
    }
  };
  const cells: Promise<void>[] = [];
  const players: Array<() => Promise<void>> = [];
  for (const transport of ['tcp', 'udp'] as RtspTransport[]) {
    for (const format of source.formats) {
      cells.push(cell(`ffmpeg -c copy ${format} ${transport}`, async () => {
        const r = await ffmpegRecordRtsp(url, { transport, format, seconds: READ_SECONDS });
        const problems = [...r.timing.problems];
        if (r.exitCode !== 0) problems.push(`exit ${r.exitCode}: ${r.stderr.slice(-600)}`);
        problems.push(...r.timestampComplaints.filter((l) => !DTS_GUESS_WARNING.test(l)));
        if (r.packets.video < 25 * (READ_SECONDS - 1)) problems.push(`${r.packets.video} video packets recorded`);
        if (source.audio && r.packets.audio < 40 * (READ_SECONDS - 1)) problems.push(`${r.packets.audio} audio packets recorded`);
        return problems;
      }));
    }
    cells.push(cell(`ffprobe packets ${transport}`, async () => {
      const r = await ffprobePackets(url, { transport, seconds: READ_SECONDS });
      const report = judgeTiming(r.tracks, { maxJumpS: MAX_AUDIO_JUMP_S, dts: false, ignoreTail: CUT_TAIL_UNITS });
      const problems = [...report.problems];
      if (r.exitCode !== 0) problems.push(`exit ${r.exitCode}: ${r.stderr.slice(-600)}`);
      if (report.firstPts.video === undefined) problems.push('no video');
      if (source.audio && report.firstPts.audio === undefined) problems.push('no audio');
      return problems;
    }));
    players.push(() => cell(`GStreamer ${transport === 'tcp' ? 'playbin' : 'uridecodebin'} ${transport}`, async () => {
      const r = await gstPlayRtsp(url, { protocols: transport, element: transport === 'tcp' ? 'playbin' : 'uridecodebin', sync: true, seconds: READ_SECONDS + 3 });
      const problems = [...r.errors];
      if (!r.reachedPlaying) problems.push('never reached PLAYING');
      if (r.buffers.video < 25 * (READ_SECONDS - 1)) problems.push(`${r.buffers.video} video frames rendered`);
      if (source.audio && r.buffers.audio === 0) problems.push(`no audio rendered (caps ${JSON.stringify(r.caps)}, first ${JSON.stringify(r.firstBufferMs)}): ${r.stderr.slice(-600)}`);
      for (const kind of ['video', 'audio'] as const) {
        const gap = r.maxGapMs[kind];
        if (gap !== undefined && gap > MAX_STALL_MS) problems.push(`${kind} stalled ${gap} ms after its first frame (first at ${r.firstBufferMs[kind]} ms)`);
      }
      return problems;
    }));
    players.push(() => cell(`mpv ${transport}`, async () => {
      const r = await mpvPlayRtsp(url, { transport, seconds: READ_SECONDS + 1 });
      // libavformat gives an RTSP reader's first HEVC frames no pts; mpv says so once at 0 s.
      // Read straight from the GStreamer camera it also says "No video PTS! Making something up".
      const problems = r.timestampComplaints.filter((l) => !MPV_FIRST_FRAME_PTS.test(l));
      if (r.exitCode !== 0) problems.push(`exit ${r.exitCode}: ${r.stderr.slice(-600)}`);
      if (!r.video) problems.push('no video track played');
      if (source.audio && !r.audio) problems.push('no audio track played');
      if (r.playedS === undefined || r.playedS < READ_SECONDS - 1) problems.push(`played ${r.playedS} s`);
      if (r.maxStallMs > MAX_STALL_MS) problems.push(`stalled ${r.maxStallMs} ms after its first frame`);
      return problems;
    }));
  }
  await Promise.all(cells);
  // The players decode and render in real time: on their own, so a stall is theirs, not CPU
  // taken by the recorders.
  await Promise.all(players.map((play) => play()));
  assert.deepEqual(failures, []);
}

describe('consumer conformance matrix (issue #11)', { timeout: 600_000 }, () => {
  let pg: PullGateway;
  let clip: TestClip;
  const cameras: GstRtspServer[] = [];
  let push: TrackedProcess | undefined;

  before(async () => {
    pg = await startPullGateway({ LOG_LEVEL: 'warn' });
    clip = await makeTestClip({ seconds: 30, width: 640, height: 360, fps: 25, gop: 50, bframes: 2, videoBitrateKbps: 800 });
  });

  after(async () => {
    await push?.kill();
    for (const c of cameras) await c.stop();
    await killAll();
    await pg?.gw.stop();
  });

  test('RTMP H.264 High with B-frames + AAC', async () => {
    push = ffmpegPushRtmp(`rtmp://127.0.0.1:${pg.gw.rtmpPort}/live/conf_rtmp`, { clip: clip.flv, loop: true });
    await waitForStream(pg.gw.rtspPort, 'conf_rtmp');
    await pastFirstGop(pg, 'conf_rtmp');
    await checkCells(pg, { name: 'conf_rtmp', audio: true, formats: FORMATS });
    await push.kill();
    push = undefined;
  });

  test('camera H.264 High with B-frames + AAC (GStreamer RTSP server)', async () => {
    const cam = await startGstRtspServer({ mounts: ['cam'], file: clip.mp4 });
    cameras.push(cam);
    // Pulled over TCP: camera-side UDP loss on a loaded machine is not what this judges.
    await pg.addCamera({ name: 'conf_cam264', rtsp_url: cam.url('cam'), transport: 'tcp' });
    await waitForStream(pg.gw.rtspPort, 'conf_cam264', 20_000);
    await pastFirstGop(pg, 'conf_cam264');
    await checkCells(pg, { name: 'conf_cam264', audio: true, formats: FORMATS });
  });

  test('camera H.265 (GStreamer RTSP server, x265enc)', async () => {
    const cam = await startGstRtspServer({ mounts: ['cam'], codec: 'h265', audio: false, width: 640, height: 360, fps: 25, gop: 50, bitrateKbps: 800 });
    cameras.push(cam);
    await pg.addCamera({ name: 'conf_cam265', rtsp_url: cam.url('cam'), transport: 'tcp' });
    await waitForStream(pg.gw.rtspPort, 'conf_cam265', 20_000);
    await pastFirstGop(pg, 'conf_cam265');
    await checkCells(pg, { name: 'conf_cam265', audio: false, formats: FORMATS.filter((f) => f !== 'flv') });
  });

  test('the same matrix joined in a stream\'s first GOP (its keyframe has no unit before it): RTMP H.264 High with B-frames + AAC', async () => {
    // One 40 s GOP: every cell starts within it, so each reader is led in by a skipped picture
    // (GopCache, h264SkippedPicture); without it every recording failed ("first pts and dts value must be set").
    const gop = 1000;
    const long = await makeTestClip({ seconds: 42, width: 640, height: 360, fps: 25, gop, bframes: 2, videoBitrateKbps: 800 });
    push = ffmpegPushRtmp(`rtmp://127.0.0.1:${pg.gw.rtmpPort}/live/conf_first`, { clip: long.flv, loop: true });
    await waitForStream(pg.gw.rtspPort, 'conf_first');
    await checkCells(pg, { name: 'conf_first', audio: true, formats: FORMATS });
    const frames = Number((await pg.status('conf_first')).frames_received);
    assert.ok(frames < gop, `the cells ended ${frames} frames in, past the first GOP: they did not test a first-GOP join`);
    await push.kill();
    push = undefined;
  });

  test('the same matrix joined in a stream\'s first GOP: camera H.265 with B-frames (GStreamer RTSP server, x265enc)', async () => {
    const gop = 1000;
    const cam = await startGstRtspServer({ mounts: ['cam'], codec: 'h265', bframes: 2, audio: false, width: 640, height: 360, fps: 25, gop, bitrateKbps: 800 });
    cameras.push(cam);
    await pg.addCamera({ name: 'conf_first265', rtsp_url: cam.url('cam'), transport: 'tcp' });
    await waitForStream(pg.gw.rtspPort, 'conf_first265', 20_000);
    await checkCells(pg, { name: 'conf_first265', audio: false, formats: FORMATS.filter((f) => f !== 'flv') });
    const frames = Number((await pg.status('conf_first265')).frames_received);
    assert.ok(frames < gop, `the cells ended ${frames} frames in, past the first GOP: they did not test a first-GOP join`);
  });

  test('UDP readers with default socket buffers lose nothing at startup: 1080p, 2 s GOP', async () => {
    const big = await makeTestClip({ seconds: 6, width: 1920, height: 1080, fps: 25, gop: 50, bframes: 2, videoBitrateKbps: 4000 });
    push = ffmpegPushRtmp(`rtmp://127.0.0.1:${pg.gw.rtmpPort}/live/conf_1080`, { clip: big.flv, loop: true });
    await waitForStream(pg.gw.rtspPort, 'conf_1080');
    await pastFirstGop(pg, 'conf_1080');
    // Join at different points of the GOP, so some replays are nearly a whole GOP (~1 MB).
    for (let i = 0; i < 3; i++) {
      const r = await ffmpegRecordRtsp(`rtsp://127.0.0.1:${pg.gw.rtspPort}/conf_1080`, { transport: 'udp', format: 'mpegts', seconds: 2 });
      assert.equal(r.exitCode, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /missed \d+ packets|max delay reached|RTP: dropping old packet/, `read ${i}: packets lost at startup`);
      assert.ok(r.packets.video >= 40, `read ${i}: ${r.packets.video} video packets`);
      await new Promise((res) => setTimeout(res, 700));
    }
    await push.kill();
    push = undefined;
  });
});
