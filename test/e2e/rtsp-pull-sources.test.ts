import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { START_DTS_GUESS, TrackedProcess, delay, ffmpegPushRtmp, ffmpegRecordRtsp, gstPlayRtsp, killAll, waitFor } from '@streamgate/testing';
import { decodeWithFfmpeg, waitForStream } from './gateway-harness';
import {
  CAMERA, PullGateway, cameraClients, cameraConnections, freeTcpPort, pushedCameraClip, startCameraOnPort, startPullGateway,
} from './rtsp-pull-harness';

/**
 * Issue #11 items 3 and 4: where a stream's media comes from.
 *
 * Backup sources: a stream with an ordered list of camera URLs and published keys. The primary is killed while
 * ffmpeg and GStreamer read the stream: the backup takes over and the readers see its video
 * within 2 s without a disconnect (RTP sequence and timestamps continue: TimelineContinuity);
 * the primary comes back and takes over again, at a keyframe, only after it has been healthy
 * for `switch_back_after`. Status and metrics show the active source and the switches. A
 * backup may be `publish:<key>`: what an RTMP publisher pushes under that key (a drone, an
 * encoder on site) feeds the camera's stream while the camera is down, the same way.
 *
 * On-demand pull: an `on_demand` camera is not connected while nobody needs it (checked at the
 * camera: its own count of RTSP clients), the first RTSP reader gets video within the camera's
 * connect time + 1 GOP + 500 ms (DESCRIBE waits instead of 404), the camera is released
 * `on_demand_close_after` seconds after the last consumer, and `/frame` on an idle on-demand
 * camera pulls it.
 */
const playing = (s: Record<string, unknown>): boolean => s.connected === true && s.playing === true && Number(s.packets_received) > 0;
const SWITCH_BACK_AFTER_S = 3;
const BACKUP_SECRET = 'Backup-S3cret-pw';
const CLOSE_AFTER_S = 3;
const GOP_MS = (CAMERA.gop / CAMERA.fps) * 1000;

async function metric(pg: PullGateway, name: string, stream: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${pg.gw.metricsPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`stream="${stream}"`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/**
 * Readers (ffmpeg decoding, GStreamer playing in sync, an ffmpeg -c copy recorder) on a stream while its primary camera is
 * killed 5 s in and restarted 4 s later: the backup must take over (`onBackup`), the primary
 * return after `switch_back_after`, and the readers see one stream throughout.
 */
async function readAcrossFailover(pg: PullGateway, name: string, primaryPort: number, primary: TrackedProcess, processes: TrackedProcess[],
  onBackup: (s: Record<string, unknown>) => boolean): Promise<{ backup: Record<string, unknown>; back: Record<string, unknown>; summary: string }> {
  await waitForStream(pg.gw.rtspPort, name);
  const url = `rtsp://127.0.0.1:${pg.gw.rtspPort}/${name}`;
  const READ_S = 22;
  const startedAt = Date.now();
  // Both tracks: audio DTS went back 15-170 ms under heavy load when the sender-report
  // mapping moved at once (RtpWallClock slews now). GStreamer below plays both tracks too.
  const ffmpeg = decodeWithFfmpeg(url, 'tcp', READ_S);
  const gst = gstPlayRtsp(url, { protocols: 'tcp', seconds: READ_S, sync: true }).then((r) => ({ ...r, ranMs: Date.now() - startedAt }));
  // A recorder too (ffmpeg -c copy to MPEG-TS, as an NVR): a switch must not send its timestamps back.
  const recorder = ffmpegRecordRtsp(url, { transport: 'tcp', format: 'mpegts', seconds: READ_S });
  await delay(5000);

  const killedAt = Date.now();
  await primary.kill();
  const backup = await pg.waitStatus(name, 'playing the backup', (s) => s.active_source === 1 && playing(s) && onBackup(s), 10_000);
  const failoverMs = Date.now() - killedAt;
  assert.equal(backup.source_switches, 1);

  // The primary returns 4 s after the kill; it must be healthy SWITCH_BACK_AFTER_S before it takes over.
  await delay(Math.max(0, killedAt + 4000 - Date.now()));
  processes.push(await startCameraOnPort(primaryPort, 'cam'));
  const restartedAt = Date.now();
  const back = await pg.waitStatus(name, 'back on the primary', (s) => s.active_source === 0 && playing(s), 20_000);
  const switchBackMs = Date.now() - restartedAt;
  assert.ok(switchBackMs >= SWITCH_BACK_AFTER_S * 1000, `switched back ${switchBackMs} ms after the primary returned (switch_back_after ${SWITCH_BACK_AFTER_S} s)`);
  assert.equal(back.source_switches, 2, JSON.stringify(back));

  const [f, g, rec] = await Promise.all([ffmpeg, gst, recorder]);
  assert.equal(rec.exitCode, 0, `recorder: ${rec.stderr.slice(-1500)}`);
  assert.deepEqual(rec.timestampComplaints.filter((l) => !START_DTS_GUESS.test(l)), [], 'recorder: ffmpeg complained about timestamps past the start');
  // A switch is a gap (a forward jump); anything else (a timestamp going back, one missing) breaks recordings.
  assert.deepEqual(rec.timing.problems.filter((p) => !p.includes(' jumps ')), [], 'recorded timestamps');
  assert.ok((rec.timing.largestStepS.video ?? Infinity) <= 2, `recorded video has a ${rec.timing.largestStepS.video} s gap`);
  assert.ok(rec.packets.video >= 25 * (READ_S - 6), `${rec.packets.video} video packets recorded`);
  assert.equal(f.code, 0, `ffmpeg reader: ${f.stderr.slice(-1500)}`);
  // One stream to the reader across both switches: the largest step between decoded frames
  // (their timestamps continue; a gap is the switch) stays within 2 s.
  const gapS = f.largestStepS.video ?? Infinity;
  assert.ok(gapS <= 2, `ffmpeg: video stopped for ${gapS.toFixed(2)} s at a switch`);
  // The primary was away for ~8 s of the read: only the backup's video can fill it.
  assert.ok(f.video >= 25 * (READ_S - 6), `ffmpeg decoded ${f.video} frames in ${READ_S} s`);
  assert.deepEqual(g.errors, [], 'GStreamer reported an error');
  assert.ok(g.ranMs >= READ_S * 1000, `GStreamer ended after ${g.ranMs} ms (EOS?)`);
  const gstGap = g.maxGapMs.video ?? Infinity;
  assert.ok(gstGap <= 2000, `GStreamer: video stalled ${gstGap} ms at a switch`);
  assert.ok(g.buffers.video >= 25 * (READ_S - 6), `GStreamer rendered ${g.buffers.video} video frames`);
  assert.ok(g.buffers.audio > 0, 'GStreamer rendered no audio');
  return {
    backup, back,
    summary: `backup seen in status after ${failoverMs} ms; switched back ${switchBackMs} ms after the primary returned; ffmpeg largest gap ${gapS.toFixed(2)} s, GStreamer ${gstGap} ms, recording ${rec.timing.largestStepS.video?.toFixed(2)} s`,
  };
}

describe('backup sources and on-demand cameras (all-in-one, GStreamer cameras)', { timeout: 300_000 }, () => {
  let pg: PullGateway;
  const processes: TrackedProcess[] = [];

  before(async () => {
    pg = await startPullGateway({ SOURCE_TIMEOUT: 20 });
  });

  after(async () => {
    await pg?.gw.stop();
    await killAll();
  });

  test('primary killed → readers get the backup\'s video within 2 s, no disconnect; primary back → it takes over after switch_back_after', async (t) => {
    const primaryPort = await freeTcpPort();
    const backupPort = await freeTcpPort();
    const primary = await startCameraOnPort(primaryPort, 'cam');
    const backup = await startCameraOnPort(backupPort, 'cam');
    processes.push(primary, backup);
    await pg.addCamera({
      name: 'failover',
      sources: [`rtsp://127.0.0.1:${primaryPort}/cam`, `rtsp://viewer:${BACKUP_SECRET}@127.0.0.1:${backupPort}/cam`],
      switch_back_after: SWITCH_BACK_AFTER_S,
      transport: 'tcp',
    });
    const first = await pg.waitStatus('failover', 'playing the primary', playing);
    assert.equal(first.active_source, 0);
    assert.equal(first.source_switches, 0);
    assert.deepEqual(first.sources, [`rtsp://127.0.0.1:${primaryPort}/cam`, `rtsp://***:***@127.0.0.1:${backupPort}/cam`]);
    assert.equal(cameraConnections(backup), 0, 'the backup is not pulled while the primary plays');

    const run = await readAcrossFailover(pg, 'failover', primaryPort, primary, processes, () => cameraConnections(backup) >= 1);
    assert.equal(await metric(pg, 'streamgate_stream_active_source', 'failover'), 0);
    assert.equal(await metric(pg, 'streamgate_stream_source_switches_total', 'failover'), 2);
    for (const text of [...pg.responses, ...pg.logs]) assert.ok(!text.includes(BACKUP_SECRET), 'the backup password leaked into a response or log line');
    t.diagnostic(run.summary);
  });

  test('published backup: primary killed → readers get the RTMP push under publish:<key> within 2 s, no disconnect; primary back → it takes over', async (t) => {
    const primaryPort = await freeTcpPort();
    const primary = await startCameraOnPort(primaryPort, 'cam');
    processes.push(primary);
    // The publisher pushes all along (the key is its own stream too), as a site encoder would.
    processes.push(ffmpegPushRtmp(`rtmp://127.0.0.1:${pg.gw.rtmpPort}/live/site_encoder`, { clip: await pushedCameraClip(), loop: true }));
    await waitForStream(pg.gw.rtspPort, 'site_encoder');
    await pg.addCamera({
      name: 'relayed', sources: [`rtsp://127.0.0.1:${primaryPort}/cam`, 'publish:site_encoder'], switch_back_after: SWITCH_BACK_AFTER_S, transport: 'tcp',
    });
    const first = await pg.waitStatus('relayed', 'playing the primary', playing);
    assert.deepEqual(first.sources, [`rtsp://127.0.0.1:${primaryPort}/cam`, 'publish:site_encoder']);
    assert.equal(first.active_source, 0);

    const run = await readAcrossFailover(pg, 'relayed', primaryPort, primary, processes, (s) => s.transport === 'rtmp');
    assert.equal(run.back.transport, 'tcp');
    // The publisher's own stream was never disturbed by being relayed.
    const own = await pg.status('site_encoder');
    assert.equal(own.readers, 0);
    assert.ok(Number(own.frames_received) > 25 * 20, JSON.stringify(own));
    t.diagnostic(run.summary);
  });

  test('pulled only while read: no connection at rest, first reader within connect + 1 GOP + 500 ms, released after the idle time, /frame wakes it', async (t) => {
    const port = await freeTcpPort();
    const cam = await startCameraOnPort(port, 'cam');
    processes.push(cam);
    const cameraUrl = `rtsp://127.0.0.1:${port}/cam`;
    // The camera's own connect time to a first decoded frame, with the same reader, read directly.
    // Video only, both reads alike (audio DTS under load: see the backup test).
    const direct = await decodeWithFfmpeg(cameraUrl, 'tcp', 2, { videoOnly: true });
    assert.equal(direct.code, 0, direct.stderr.slice(-1000));
    const directFirstMs = direct.firstFrameMs ?? Infinity;
    await waitFor(() => (cameraClients(cam) === 0 ? true : undefined), 10_000, 'direct reader gone', 100);
    const atRest = cameraConnections(cam);

    await pg.addCamera({ name: 'od', rtsp_url: cameraUrl, on_demand: true, on_demand_close_after: CLOSE_AFTER_S, transport: 'tcp' });
    const idle = await pg.waitStatus('od', 'idle', (s) => s.idle === true);
    assert.equal(idle.connected, false);
    assert.equal(idle.on_demand, true);
    assert.equal(idle.on_demand_close_after, CLOSE_AFTER_S);
    await delay(3000);
    assert.equal(cameraConnections(cam), atRest, 'the gateway connected to an on-demand camera nobody reads');
    assert.equal(cameraClients(cam), 0);

    // The first reader: DESCRIBE waits for the camera instead of answering 404.
    const url = `rtsp://127.0.0.1:${pg.gw.rtspPort}/od`;
    const read = await decodeWithFfmpeg(url, 'tcp', 4, { videoOnly: true });
    const readEndedAt = Date.now();
    assert.equal(read.code, 0, `ffmpeg reader: ${read.stderr.slice(-1500)}`);
    assert.ok(read.video >= CAMERA.fps * 2, `the first reader decoded ${read.video} frames`);
    const firstMs = read.firstFrameMs ?? Infinity;
    assert.ok(firstMs <= directFirstMs + GOP_MS + 500,
      `first frame through the gateway after ${firstMs} ms; the camera read directly gives one after ${directFirstMs} ms (bound: + 1 GOP + 500 ms)`);
    assert.equal(cameraConnections(cam), atRest + 1, 'one camera connection for the reader');

    // Released after on_demand_close_after without a consumer, not before.
    await waitFor(() => (cameraClients(cam) === 0 ? true : undefined), CLOSE_AFTER_S * 1000 + 10_000, 'camera released', 100);
    const releasedAfterMs = Date.now() - readEndedAt;
    assert.ok(releasedAfterMs >= (CLOSE_AFTER_S - 1.5) * 1000, `released ${releasedAfterMs} ms after the reader left (on_demand_close_after ${CLOSE_AFTER_S} s)`);
    const released = await pg.waitStatus('od', 'idle again', (s) => s.idle === true && s.connected === false);
    assert.equal(released.last_error, null, 'an idle release is not an error');

    // A frame request on the idle camera pulls it.
    const frameAskedAt = Date.now();
    const res = await fetch(`http://127.0.0.1:${pg.gw.httpPort}/api/streams/od/frame`);
    const frameMs = Date.now() - frameAskedAt;
    assert.equal(res.status, 200, await res.clone().text());
    assert.ok((await res.arrayBuffer()).byteLength > 100);
    assert.equal(cameraConnections(cam), atRest + 2, 'the frame request connected the camera');
    await waitFor(() => (cameraClients(cam) === 0 ? true : undefined), CLOSE_AFTER_S * 1000 + 10_000, 'camera released after the frame', 100);

    // An HLS client wakes it too (its first playlist waits for the camera), and releases it when it stops fetching.
    assert.ok(pg.gw.hlsPort !== undefined);
    const hls = await fetch(`http://127.0.0.1:${pg.gw.hlsPort}/od/index.m3u8`);
    const playlist = await hls.text();
    assert.equal(hls.status, 200, playlist);
    assert.match(playlist, /^#EXTM3U/);
    assert.equal(cameraConnections(cam), atRest + 3, 'the HLS client connected the camera');
    await waitFor(() => (cameraClients(cam) === 0 ? true : undefined), CLOSE_AFTER_S * 1000 + 25_000, 'camera released after the HLS client', 100);

    // A recorder as the first reader (the camera's first keyframe has no unit before it: egress
    // leads it in with a skipped picture) records with -c copy; unled, ffmpeg failed at once.
    const rec = await ffmpegRecordRtsp(url, { transport: 'tcp', format: 'mpegts', seconds: 3 });
    assert.equal(rec.exitCode, 0, `recorder as the first on-demand reader: ${rec.stderr.slice(-1500)}`);
    assert.ok(rec.packets.video >= CAMERA.fps * 2, `${rec.packets.video} video packets recorded`);
    assert.equal(cameraConnections(cam), atRest + 4, 'the recorder connected the camera');
    t.diagnostic(`direct first frame ${directFirstMs} ms, through the gateway ${firstMs} ms; released ${releasedAfterMs} ms after the reader; frame from idle in ${frameMs} ms`);
  });
});
