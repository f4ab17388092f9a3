import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  GstRtspServer, InterleavedDisorder, START_DTS_GUESS, TcpRelay, delay, ffmpegRecordRtsp, gstPlayRtsp, killAll, startTcpRelay, waitFor,
} from '@streamgate/testing';
import { decodeWithFfmpeg, waitForStream } from './gateway-harness';
import { PullGateway, startCamera, startPullGateway } from './rtsp-pull-harness';

/**
 * Issue #10, one receiver per RTP track: a camera link that reorders, duplicates and drops RTP.
 * The gateway pulls a GStreamer camera (H.264 + AAC, RTP interleaved over TCP) through a relay
 * that swaps every 7th packet of each track with the next one, sends every 11th twice, and
 * leaves out exactly DROPS audio packets. Ingest's receiver must put the packets back in order,
 * drop the duplicates, and count exactly the dropped packets as lost. The packetizer no longer
 * reorders anything, so a swapped video fragment it were given would break a frame: ffmpeg
 * decodes with -xerror, GStreamer plays in sync, and an ffmpeg -c copy recorder writes MPEG-TS.
 */
const DROPS = 20;
const READ_S = 20;
const playing = (s: Record<string, unknown>): boolean => s.connected === true && s.playing === true && Number(s.packets_received) > 0;

describe('RTSP pull through a link that reorders, duplicates and drops RTP (all-in-one, GStreamer camera)', { timeout: 180_000 }, () => {
  let pg: PullGateway;
  let cam: GstRtspServer;
  let relay: TcpRelay;
  const links: InterleavedDisorder[] = [];

  before(async () => {
    pg = await startPullGateway();
    cam = await startCamera({});
    // Channels 0/1 are the camera's first track (video), 2/3 its second (AAC).
    relay = await startTcpRelay(cam.port, '127.0.0.1', {
      fromServer: () => {
        const d = new InterleavedDisorder({ swapEvery: 7, duplicateEvery: 11, dropChannel: 2, dropEvery: 13, dropCount: DROPS });
        links.push(d);
        return (chunk) => d.push(chunk);
      },
    });
  });

  after(async () => {
    await pg?.gw.stop();
    await relay?.close();
    await cam?.stop();
    await killAll();
  });

  test('readers get clean output (decode, playbin in sync, -c copy record); packets_lost is exactly the dropped packets', async (t) => {
    await pg.addCamera({ name: 'disorder', rtsp_url: `rtsp://127.0.0.1:${relay.port}/cam`, transport: 'tcp' });
    await pg.waitStatus('disorder', 'playing', playing);
    await waitForStream(pg.gw.rtspPort, 'disorder');
    const url = `rtsp://127.0.0.1:${pg.gw.rtspPort}/disorder`;
    const startedAt = Date.now();
    const [f, g, rec] = await Promise.all([
      decodeWithFfmpeg(url, 'tcp', READ_S),
      gstPlayRtsp(url, { protocols: 'tcp', seconds: READ_S, sync: true }).then((r) => ({ ...r, ranMs: Date.now() - startedAt })),
      ffmpegRecordRtsp(url, { transport: 'tcp', format: 'mpegts', seconds: READ_S }),
    ]);
    const link = links[0];
    t.diagnostic(`link: ${JSON.stringify(link.counts)}; ffmpeg ${f.video} frames, GStreamer ${g.buffers.video} (max gap ${g.maxGapMs.video} ms), recorded ${rec.packets.video} video / ${rec.packets.audio} audio packets`);
    assert.equal(links.length, 1, 'one camera connection: no reconnect');
    assert.ok(link.counts.swapped >= 100 && link.counts.duplicated >= 100, JSON.stringify(link.counts));
    assert.equal(link.counts.dropped, DROPS, 'every planned drop happened');

    assert.equal(f.code, 0, `ffmpeg reader (-xerror): ${f.stderr.slice(-1500)}`);
    assert.ok(f.video >= 25 * (READ_S - 2), `ffmpeg decoded ${f.video} video frames (${f.audio} audio; largest step ${JSON.stringify(f.largestStepS)}; ${f.timingProblems.slice(0, 3).join('; ')})`);
    assert.ok((f.largestStepS.video ?? Infinity) <= 0.1, `ffmpeg: largest video step ${f.largestStepS.video} s`);
    assert.deepEqual(g.errors, [], 'GStreamer reported an error');
    assert.ok(g.ranMs >= READ_S * 1000, `GStreamer ended after ${g.ranMs} ms`);
    assert.ok((g.maxGapMs.video ?? Infinity) <= 500, `GStreamer: video stalled ${g.maxGapMs.video} ms`);
    assert.ok(g.buffers.video >= 25 * (READ_S - 2), `GStreamer rendered ${g.buffers.video} video frames`);
    assert.equal(rec.exitCode, 0, `recorder: ${rec.stderr.slice(-1500)}`);
    assert.deepEqual(rec.timestampComplaints.filter((l) => !START_DTS_GUESS.test(l)), [], 'recorder: ffmpeg complained about timestamps');
    assert.ok(rec.packets.video >= 25 * (READ_S - 2), `${rec.packets.video} video packets recorded`);

    // Status is rewritten about once a second: the count settles on exactly the drops (the
    // duplicates are not negative losses, the swapped packets are not losses).
    const s = await waitFor(async () => {
      const st = await pg.status('disorder');
      return st.packets_lost === DROPS ? st : undefined;
    }, 5000, `packets_lost = ${DROPS}`, 250).catch(async () => pg.status('disorder'));
    assert.equal(s.packets_lost, DROPS, JSON.stringify(s));
    assert.equal(s.reconnects, 0);
    // Still exact a moment later (nothing counted twice or late).
    await delay(1500);
    assert.equal((await pg.status('disorder')).packets_lost, DROPS);
  });
});
