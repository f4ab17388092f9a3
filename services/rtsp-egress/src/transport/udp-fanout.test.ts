import { strict as assert } from 'node:assert';
import { RemoteInfo, Socket, createSocket } from 'node:dgram';
import { afterEach, describe, it } from 'node:test';
import type { AccessUnitMessage } from '@streamgate/contracts';
import { createLogger } from '@streamgate/platform';
import { AccessUnitBatch } from '../fanout/access-unit-batch';
import { UdpReader, UdpReaderTrack } from '../readers/udp-reader';
import type { RtpSender } from './rtp-sender';
import { MAX_NATIVE_TRACKS, UdpDatagramCounter } from './udp-fanout';
import { UdpPair } from './udp-pair';

// The egress side of batched UDP: real UdpPair, real UdpReaders, real dgram receivers on loopback.

const logger = createLogger({ service: 'udp-fanout-test', level: 'silent' });

interface Receiver {
  socket: Socket;
  port: number;
  got: Array<{ msg: Buffer; rinfo: RemoteInfo }>;
}

async function receiver(): Promise<Receiver> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const rec: Receiver = { socket, port: socket.address().port, got: [] };
  socket.on('message', (msg, rinfo) => rec.got.push({ msg, rinfo }));
  return rec;
}

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
}

let seq = 0;
/** An access unit of `sizes.length` RTP-like packets, each tagged with its sequence number. */
function unit(track: number, keyframe: boolean, sizes: number[]): AccessUnitMessage {
  const packets = sizes.map((size) => {
    const p = new Uint8Array(size);
    p[0] = 0x80;
    new DataView(p.buffer).setUint16(2, seq++ & 0xffff);
    return p;
  });
  return { kind: 'access-unit', track, keyframe, rtpTimestamp: seq * 100, receivedAt: Date.now(), packets };
}

const seqs = (packets: readonly Uint8Array[]): number[] => packets.map((p) => (p[2] << 8) | p[3]);
const gotSeqs = (r: Receiver): number[] => r.got.map((g) => g.msg.readUInt16BE(2));

/** Datagram outcomes as the metric sees them. */
function counter(): { counts: Map<string, number>; countDatagrams: UdpDatagramCounter } {
  const counts = new Map<string, number>();
  return { counts, countDatagrams: (outcome, n) => counts.set(outcome, (counts.get(outcome) ?? 0) + n) };
}

/** RTP senders opened by `reader`; the session would close them at its end. */
const opened: RtpSender[] = [];

/** A UDP reader of `tracks` (track id → receiver), set up as SETUP does it. */
async function reader(pair: UdpPair, tracks: Map<number, Receiver>, address = '127.0.0.1'): Promise<UdpReader> {
  const setup = new Map<number, UdpReaderTrack>();
  for (const [track, r] of tracks) {
    const rtp = await pair.rtpSenderTo(address, r.port);
    opened.push(rtp);
    setup.set(track, { rtp, rtcpPort: r.port + 1 });
  }
  return new UdpReader(pair, address, setup, () => undefined);
}

describe('UdpFanout (batched sends to UDP readers)', () => {
  afterEach(() => {
    for (const s of opened.splice(0)) s.close();
  });

  it('one batch reaches every reader on each of its tracks, whole and in order, from the announced RTP port', async () => {
    const { counts: counted, countDatagrams } = counter();
    const pair = await UdpPair.bind('127.0.0.1', 0, logger, { countDatagrams });
    const receivers = await Promise.all(Array.from({ length: 6 }, receiver));
    try {
      assert.ok(pair.fanout, 'the native sender is there on Linux with a compiler');
      const readers = [
        await reader(pair, new Map([[0, receivers[0]], [1, receivers[1]]])),
        await reader(pair, new Map([[0, receivers[2]]])),
        await reader(pair, new Map([[0, receivers[3]], [1, receivers[4]]])),
      ];
      for (const r of readers) assert.equal(r.group, pair.fanout);
      // An IDR (SPS, PPS, equal FU-A fragments, shorter last), an audio frame, a P frame.
      const units = [unit(0, true, [30, 10, 1400, 1400, 1400, 1400, 333]), unit(1, false, [380]), unit(0, false, [1400, 1400, 90])];
      const batch = new AccessUnitBatch(units);
      const video = units.filter((u) => u.track === 0).flatMap((u) => u.packets);
      const audio = units[1].packets;
      const bytes = pair.fanout.writeBatch(batch, readers);
      const expectedBytes = (n: readonly Uint8Array[]): number => n.reduce((s, p) => s + p.byteLength, 0);
      assert.equal(bytes, 3 * expectedBytes(video) + 2 * expectedBytes(audio));
      await until(() => receivers[0].got.length === video.length && receivers[3].got.length === video.length && receivers[2].got.length === video.length);
      for (const i of [0, 2, 3]) assert.deepEqual(gotSeqs(receivers[i]), seqs(video), `video reader on receiver ${i}`);
      for (const i of [1, 4]) assert.deepEqual(gotSeqs(receivers[i]), seqs(audio), `audio reader on receiver ${i}`);
      assert.deepEqual(receivers[0].got.map((g) => g.msg.byteLength), video.map((p) => p.byteLength), 'datagram boundaries kept');
      for (const r of receivers.slice(0, 5)) for (const g of r.got) assert.equal(g.rinfo.port, pair.rtpPort);
      assert.equal(receivers[5].got.length, 0);
      assert.deepEqual([...counted], [['sent', 3 * video.length + 2 * audio.length]], 'the metric counts what went out, nothing failed or queued');
      assert.ok(pair.fanout.usesGso, 'GSO on by default where the kernel has it');
    } finally {
      for (const r of receivers) r.socket.close();
      await pair.close();
    }
  });

  it('a reader alone (GOP replay) goes through the same sender; a track id past the native slots goes through dgram', async () => {
    const { counts, countDatagrams } = counter();
    const pair = await UdpPair.bind('127.0.0.1', 0, logger, { countDatagrams });
    const [v, extra] = await Promise.all([receiver(), receiver()]);
    try {
      const high = MAX_NATIVE_TRACKS + 3;
      const r = await reader(pair, new Map([[0, v], [high, extra]]));
      const units = [unit(0, true, [100, 1200, 1200, 50]), unit(high, false, [200])];
      assert.equal(r.writeBatch(new AccessUnitBatch(units)), 100 + 1200 + 1200 + 50 + 200);
      await until(() => v.got.length === 4 && extra.got.length === 1);
      assert.deepEqual(gotSeqs(v), seqs(units[0].packets));
      assert.deepEqual(gotSeqs(extra), seqs(units[1].packets));
      assert.deepEqual([...counts], [['queued', 5]], 'the whole batch went through dgram');
    } finally {
      v.socket.close();
      extra.socket.close();
      await pair.close();
    }
  });

  it('batches right after one that went through dgram follow it there, split ones too: the reader gets its datagrams in order', async () => {
    // dgram sends after a lookup on the next tick and queues in libuv when the socket buffer is
    // full; a native send meanwhile would arrive first. Found with readers one veth link away
    // (fanout.bench --network veth): a full send buffer at a keyframe burst reordered them.
    const { counts, countDatagrams } = counter();
    const pair = await UdpPair.bind('127.0.0.1', 0, logger, { countDatagrams, maxPacketsPerCall: 7 });
    const [v, extra] = await Promise.all([receiver(), receiver()]);
    try {
      const high = MAX_NATIVE_TRACKS + 1;
      const r = await reader(pair, new Map([[0, v], [high, extra]]));
      const first = [unit(0, true, [100, 1200, 1200]), unit(high, false, [200])];
      const next = [unit(0, false, [1200, 1200, 300])];
      // More packets than one native call takes: two calls, each following dgram.
      const big = [unit(0, false, [1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 80])];
      r.writeBatch(new AccessUnitBatch(first));
      r.writeBatch(new AccessUnitBatch(next));
      r.writeBatch(new AccessUnitBatch(big));
      await until(() => v.got.length === 18);
      assert.deepEqual(gotSeqs(v), seqs([...first[0].packets, ...next[0].packets, ...big[0].packets]));
      assert.deepEqual([...counts], [['queued', 19]], 'the later batches followed the first through dgram');
      // Once dgram has sent them all, batches go natively again.
      const later = [unit(0, false, [1200, 50])];
      r.writeBatch(new AccessUnitBatch(later));
      await until(() => v.got.length === 20);
      assert.deepEqual(gotSeqs(v).slice(18), seqs(later[0].packets));
      assert.deepEqual([...counts], [['queued', 19], ['sent', 2]]);
    } finally {
      v.socket.close();
      extra.socket.close();
      await pair.close();
    }
  });

  it('a batch of more packets than one native call takes is split, and still reaches the reader whole and in order', async () => {
    // Calls of 7 packets: a GOP replay of 5 units × 6 packets crosses unit boundaries (GSO off,
    // so that path is exercised too).
    const { counts, countDatagrams } = counter();
    const pair = await UdpPair.bind('127.0.0.1', 0, logger, { maxPacketsPerCall: 7, countDatagrams, env: { STREAMGATE_UDP_GSO: 'off' } });
    const v = await receiver();
    try {
      const r = await reader(pair, new Map([[0, v]]));
      const units = Array.from({ length: 5 }, (_, i) => unit(0, i === 0, [60, 1000, 1000, 1000, 1000, 500]));
      assert.equal(r.writeBatch(new AccessUnitBatch(units)), 5 * 4560);
      await until(() => v.got.length === 30);
      assert.deepEqual(gotSeqs(v), seqs(units.flatMap((u) => u.packets)));
      assert.deepEqual([...counts], [['sent', 30]]);
      assert.equal(pair.fanout?.usesGso, false, 'STREAMGATE_UDP_GSO=off keeps sendmmsg without GSO');
    } finally {
      v.socket.close();
      await pair.close();
    }
  });

  it('without the native module (STREAMGATE_NATIVE_UDP=off) readers are served one by one through dgram', async () => {
    process.env.STREAMGATE_NATIVE_UDP = 'off';
    let pair: UdpPair | undefined;
    const v = await receiver();
    try {
      pair = await UdpPair.bind('127.0.0.1', 0, logger);
      assert.equal(pair.fanout, undefined);
      const r = await reader(pair, new Map([[0, v]]));
      assert.equal(r.group, undefined);
      const u = unit(0, true, [100, 1200, 80]);
      r.writeBatch(new AccessUnitBatch([u]));
      await until(() => v.got.length === 3);
      assert.deepEqual(gotSeqs(v), seqs(u.packets));
      for (const g of v.got) assert.equal(g.rinfo.port, pair.rtpPort);
    } finally {
      delete process.env.STREAMGATE_NATIVE_UDP;
      v.socket.close();
      await pair?.close();
    }
  });

  it('after the pair closes, the group sends nothing (its descriptor is gone, never reused)', async () => {
    const pair = await UdpPair.bind('127.0.0.1', 0, logger);
    const v = await receiver();
    try {
      const r = await reader(pair, new Map([[0, v]]));
      await pair.close();
      assert.equal(pair.fanout?.writeBatch(new AccessUnitBatch([unit(0, true, [100])]), [r]), 0);
    } finally {
      v.socket.close();
    }
  });
});
