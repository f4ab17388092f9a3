import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { bindUdpPortPair } from '@streamgate/platform';
import { parseReceiverReport, splitCompound } from '@streamgate/protocol-rtp';
import { TrackReceiver } from './track-receiver';
import type { CameraTrack } from './camera-description';
import { ReadRun } from './udp-read-run';

/** An RTP packet (RFC 3550 §5.1) with sequence number `seq`, as a camera sends it. */
function rtp(seq: number): Buffer {
  const p = Buffer.alloc(12 + 8, 0xab);
  p[0] = 0x80;
  p[1] = 96;
  p.writeUInt16BE(seq, 2);
  p.writeUInt32BE(90_000 + seq * 3600, 4);
  p.writeUInt32BE(0x1234, 8);
  return p;
}

for (const batchedUdp of [true, false]) test(`UDP (${batchedUdp ? 'native recvmmsg' : 'node:dgram'}): RTP from a sender that is not the camera is dropped, uncounted, and said once`, async () => {
  const pair = await bindUdpPortPair({ host: '127.0.0.1' });
  const camera = createSocket('udp4');
  const stranger = createSocket('udp4');
  await new Promise<void>((resolve) => camera.bind(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => stranger.bind(0, '127.0.0.2', resolve));
  const seqs: number[] = [];
  const debug: string[] = [];
  const track = { index: 1, media: 'video', codec: 'H264', payloadType: 96, clockRate: 90_000 } as CameraTrack;
  const receiver = new TrackReceiver({
    track, transport: { lower: 'udp', serverPorts: [camera.address().port, camera.address().port + 1] }, udp: pair, peers: ['127.0.0.1'],
    sink: (_t, rtcp, packets) => {
      if (!rtcp) seqs.push(...packets.map((p) => (p[2] << 8) | p[3]));
    },
    ssrc: 1, cname: 'test', onDebug: (m) => debug.push(m), readRun: new ReadRun(), batchedUdp,
  });
  try {
    receiver.listen();
    assert.equal(receiver.batchedUdp, batchedUdp, 'native module built (npm run build)');
    // The stranger injects packets that would fill the camera's sequence space.
    for (const seq of [100, 101, 102]) stranger.send(rtp(seq), pair.rtpPort, '127.0.0.1');
    for (const seq of [103, 104]) stranger.send(rtp(seq), pair.rtpPort, '127.0.0.1');
    for (const seq of [1, 2, 3]) camera.send(rtp(seq), pair.rtpPort, '127.0.0.1');
    const deadline = Date.now() + 5000;
    while ((seqs.length < 3 || debug.length === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(seqs, [1, 2, 3], 'only the camera\'s packets reach the sink');
    assert.equal(receiver.packets, 3);
    const warnings = debug.filter((m) => m.includes('not the camera'));
    assert.equal(warnings.length, 1, `said once: ${JSON.stringify(debug)}`);
  } finally {
    receiver.close();
    camera.close();
    stranger.close();
  }
});

for (const batchedUdp of [true, false]) test(`UDP (${batchedUdp ? 'native recvmmsg' : 'node:dgram'}): datagrams read in one poll pass reach the sink as one batch, in order, each counted at arrival`, async () => {
  const pair = await bindUdpPortPair({ host: '127.0.0.1' });
  const camera = createSocket('udp4');
  await new Promise<void>((resolve) => camera.bind(0, '127.0.0.1', resolve));
  const batches: Array<{ track: number; seqs: number[] }> = [];
  const track = { index: 3, media: 'video', codec: 'H264', payloadType: 96, clockRate: 90_000 } as CameraTrack;
  const receiver = new TrackReceiver({
    track, transport: { lower: 'udp', serverPorts: [camera.address().port, camera.address().port + 1] }, udp: pair, peers: ['127.0.0.1'],
    sink: (t, rtcp, packets) => {
      assert.equal(rtcp, false);
      batches.push({ track: t, seqs: packets.map((p) => (p[2] << 8) | p[3]) });
    },
    ssrc: 1, cname: 'test', onDebug: () => undefined, readRun: new ReadRun(), batchedUdp,
  });
  try {
    receiver.listen();
    assert.equal(receiver.batchedUdp, batchedUdp, 'native module built (npm run build)');
    // Sent in one tick: all queued at the receiving socket before its next poll.
    const sent = [10, 11, 12, 13, 14];
    for (const seq of sent) camera.send(rtp(seq), pair.rtpPort, '127.0.0.1');
    // Not RTP (version 0): counted nowhere, never forwarded.
    camera.send(Buffer.alloc(20), pair.rtpPort, '127.0.0.1');
    const deadline = Date.now() + 5000;
    while (batches.flatMap((b) => b.seqs).length < sent.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(batches.flatMap((b) => b.seqs), sent, 'every packet, in order');
    assert.ok(batches.length < sent.length, `${batches.length} sink calls for ${sent.length} datagrams of one pass`);
    assert.ok(batches.every((b) => b.track === 3));
    assert.equal(receiver.packets, sent.length);
    assert.equal(receiver.bytes, sent.length * 20);
    assert.equal(receiver.stats.packetsLost, 0);
    // After close, nothing queued is handed on.
    camera.send(rtp(15), pair.rtpPort, '127.0.0.1');
    if (batchedUdp) await new Promise<void>((resolve) => camera.send(rtp(16), pair.rtpPort, '127.0.0.1', () => resolve()));
    else await once(pair.rtp, 'message');
    receiver.close();
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(batches.flatMap((b) => b.seqs), sent);
  } finally {
    receiver.close();
    camera.close();
    await pair.close();
  }
});

test('TCP: a read is handed on in sequence order, duplicates dropped, the first batch flagged as a new source; the RR reports the same statistics', () => {
  const track = { index: 0, media: 'video', codec: 'H264', payloadType: 96, clockRate: 90_000 } as CameraTrack;
  const batches: Array<{ seqs: number[]; newSource: boolean }> = [];
  const sent: Array<{ channel: number; data: Uint8Array }> = [];
  const receiver = new TrackReceiver({
    track, transport: { lower: 'tcp', channels: [0, 1] }, peers: ['127.0.0.1'],
    sendInterleaved: (channel, data) => sent.push({ channel, data }),
    sink: (_t, _rtcp, packets, _at, newSource) => batches.push({ seqs: packets.map((p) => (p[2] << 8) | p[3]), newSource }),
    ssrc: 0xabc, cname: 'test', onDebug: () => undefined, now: () => 5000,
  });
  receiver.rtp([rtp(1), rtp(3), rtp(2), rtp(2), rtp(4)], 1000);
  // 5 lost: 6 waits for it, then is given up when time moves on another track.
  receiver.rtp([rtp(6)], 1040);
  assert.deepEqual(batches, [{ seqs: [1, 2, 3, 4], newSource: true }]);
  receiver.expire(1200);
  assert.deepEqual(batches.map((b) => b.seqs), [[1, 2, 3, 4], [6]]);
  assert.equal(batches[1].newSource, false);
  assert.equal(receiver.packets, 6, 'every RTP packet read is counted, duplicates too');
  assert.equal(receiver.stats.packetsLost, 1);
  receiver.sendReceiverReport();
  assert.equal(sent.length, 1);
  assert.equal(sent[0].channel, 1);
  const rr = parseReceiverReport(splitCompound(sent[0].data)[0].packet);
  assert.equal(rr.ssrc, 0xabc);
  assert.deepEqual([rr.reports[0].ssrc, rr.reports[0].cumulativeLost, rr.reports[0].extendedHighestSequence], [0x1234, 1, 6]);
});

test('TCP: a camera restart (new SSRC) inside one read begins its own batch, flagged', () => {
  const track = { index: 0, media: 'video', codec: 'H264', payloadType: 96, clockRate: 90_000 } as CameraTrack;
  const batches: Array<{ seqs: number[]; newSource: boolean }> = [];
  const receiver = new TrackReceiver({
    track, transport: { lower: 'tcp', channels: [0, 1] }, peers: ['127.0.0.1'],
    sink: (_t, _rtcp, packets, _at, newSource) => batches.push({ seqs: packets.map((p) => (p[2] << 8) | p[3]), newSource }),
    ssrc: 1, cname: 'test', onDebug: () => undefined,
  });
  const restarted = (seq: number): Buffer => {
    const p = rtp(seq);
    p.writeUInt32BE(0x9999, 8);
    return p;
  };
  receiver.rtp([rtp(100), rtp(101)], 0);
  receiver.rtp([rtp(102), restarted(7), restarted(8)], 40);
  assert.deepEqual(batches, [{ seqs: [100, 101], newSource: true }, { seqs: [102], newSource: false }, { seqs: [7, 8], newSource: true }]);
});

test('TCP: packets that wait for a gap are kept as copies (a read is a view into a buffer the next read overwrites)', () => {
  const track = { index: 0, media: 'video', codec: 'H264', payloadType: 96, clockRate: 90_000 } as CameraTrack;
  const released: Array<{ seq: number; payload: number }> = [];
  const receiver = new TrackReceiver({
    track, transport: { lower: 'tcp', channels: [0, 1] }, peers: ['127.0.0.1'],
    sink: (_t, _rtcp, packets) => {
      for (const p of packets) released.push({ seq: (p[2] << 8) | p[3], payload: p[12] });
    },
    ssrc: 1, cname: 'test', onDebug: () => undefined,
  });
  // One shared read buffer, as rtsp-client-connection reads: packet 12 overtakes 11.
  const read = Buffer.alloc(64);
  const into = (seq: number, payload: number): Uint8Array => {
    const p = rtp(seq);
    p[12] = payload;
    p.copy(read);
    return read.subarray(0, p.length);
  };
  receiver.rtp([into(10, 0xa0)], 0);
  receiver.rtp([into(12, 0xc2)], 10);
  receiver.rtp([into(11, 0xb1)], 20);
  assert.deepEqual(released, [{ seq: 10, payload: 0xa0 }, { seq: 11, payload: 0xb1 }, { seq: 12, payload: 0xc2 }]);
});
