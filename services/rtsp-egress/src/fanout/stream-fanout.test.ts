import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { InProcessBus, createLogger } from '@streamgate/platform';
import { seqOf, SyntheticStream } from '@streamgate/rtsp-egress/testing';
import type { AccessUnitBatch } from './access-unit-batch';
import type { FanoutGroup, FanoutReader } from './fanout-reader';
import { StreamFanout, StreamFanoutOptions } from './stream-fanout';
import type { AccessUnitMessage } from '@streamgate/contracts';
import { h264PpsId } from '@streamgate/codec';
import { parseRtpPacket } from '@streamgate/protocol-rtp';


/** Records every batch it is sent, as the sequence numbers of its packets. */
class RecordingReader implements FanoutReader {
  readonly transport = 'tcp' as const;
  readonly batches: number[][] = [];
  wants(): boolean {
    return true;
  }
  writeBatch(batch: AccessUnitBatch): number {
    this.batches.push(batch.units.flatMap((au) => au.packets.map(seqOf)));
    return 1;
  }
  writeRtcp(): void {}
  dropped(): void {}
}

/** A group recording which readers it was handed each batch, and what each of them received. */
class RecordingGroup implements FanoutGroup {
  readonly calls: Array<{ readers: readonly FanoutReader[]; seqs: number[] }> = [];
  writeBatch(batch: AccessUnitBatch, readers: readonly FanoutReader[]): number {
    const seqs = batch.units.flatMap((au) => au.packets.map(seqOf));
    this.calls.push({ readers, seqs });
    for (const r of readers) (r as GroupedReader).received.push(...seqs);
    return 1;
  }
}

/** A reader of a group: alone (GOP replay, before its keyframe) it writes through the group too. */
class GroupedReader implements FanoutReader {
  readonly transport = 'udp' as const;
  readonly received: number[] = [];
  constructor(readonly group: RecordingGroup) {}
  wants(): boolean {
    return true;
  }
  writeBatch(batch: AccessUnitBatch): number {
    return this.group.writeBatch(batch, [this]);
  }
  writeRtcp(): void {}
  dropped(): void {}
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** libx264 main 1920x1080@30 SPS and a PPS (id 0), as sprop-parameter-sets: a stream whose keyframes can be led in. */
const SPROP_1080P30 = [Buffer.from('674d4028eca03c0113f2e022000003000200000300781e30632c', 'hex'), Buffer.from('68ebe3cb22c0', 'hex')]
  .map((b) => b.toString('base64')).join(',');

/** A fan-out of `source` with small test limits; `options` adds to them or replaces them. */
function fanoutOf(source: SyntheticStream, bus: InProcessBus, options: Partial<StreamFanoutOptions> = {}): StreamFanout {
  return new StreamFanout(source.stream, source.description, bus, createLogger({ service: 'fanout-test', level: 'silent' }), {
    gopRequestTimeoutMs: 200, gopLimits: { maxUnits: 100, maxBytes: 1 << 20 }, maxPendingAccessUnits: 100, ...options,
  });
}

async function closeAll(fanout: StreamFanout, source: SyntheticStream, bus: InProcessBus): Promise<void> {
  fanout.close('shutdown');
  source.close();
  await bus.close();
}

describe('StreamFanout', () => {
  it('sends the units published in one run as one batch, and a reader added meanwhile gets each unit once', async () => {
    const bus = new InProcessBus();
    const source = new SyntheticStream(bus, 'batch');
    const fanout = fanoutOf(source, bus);
    try {
      await fanout.ready;
      const early = new RecordingReader();
      fanout.addReader(early);
      source.publish(true);
      source.publish(false);
      // Runs after both units reached the fan-out, before their batch is sent.
      const late = new RecordingReader();
      queueMicrotask(() => fanout.addReader(late));
      await tick();
      source.publish(false);
      await tick();
      const seqs = source.published.map((au) => seqOf(au.packets[0]));
      assert.deepEqual(early.batches, [[seqs[0], seqs[1]], [seqs[2]]], 'one batch per run');
      assert.deepEqual(late.batches.flat(), seqs, 'the GOP replay and the live units, each once');
    } finally {
      await closeAll(fanout, source, bus);
    }
    });

  it('a unit both in the GOP reply and delivered live while it was requested is sent once', async () => {
    const bus = new InProcessBus();
    const source = new SyntheticStream(bus, 'overlap');
    source.publish(true);
    await tick();
    const fanout = fanoutOf(source, bus);
    try {
      // Published while the GOP request is in flight: in the GOP reply and on media.<s>.out.
      source.publish(false);
      await fanout.ready;
      const reader = new RecordingReader();
      fanout.addReader(reader);
      source.publish(false);
      await tick();
      const seqs = source.published.map((au) => seqOf(au.packets[0]));
      assert.deepEqual(reader.batches.flat(), seqs, 'every unit once, in order');
    } finally {
      await closeAll(fanout, source, bus);
    }
    });

  it('hands grouped readers to their group in one call per batch, and a late reader joins it after its keyframe', async () => {
    const bus = new InProcessBus();
    const source = new SyntheticStream(bus, 'grouped');
    const fanout = fanoutOf(source, bus);
    const group = new RecordingGroup();
    try {
      await fanout.ready;
      const a = new GroupedReader(group);
      const b = new GroupedReader(group);
      const alone = new RecordingReader();
      // Added before any keyframe: they wait, written one by one, until the first one comes.
      fanout.addReader(a);
      fanout.addReader(b);
      fanout.addReader(alone);
      source.publish(false);
      await tick();
      source.publish(true);
      await tick();
      source.publish(false);
      await tick();
      const late = new GroupedReader(group);
      fanout.addReader(late);
      // A UDP reader's replay is paced (timer ticks): let it finish before the next live unit.
      await new Promise((r) => setTimeout(r, 30));
      source.publish(false);
      await tick();
      const seqs = source.published.map((au) => seqOf(au.packets[0]));
      const lastCall = group.calls[group.calls.length - 1];
      assert.deepEqual(lastCall.readers, [a, b, late], 'one call for all members past their keyframe');
      assert.deepEqual(lastCall.seqs, [seqs[3]]);
      // Waiting readers start at the keyframe, led in by the unit before it (GopCache says why).
      assert.deepEqual(a.received, seqs, 'the lead-in, then from the keyframe on, each unit once');
      assert.deepEqual(b.received, seqs);
      assert.deepEqual(late.received, seqs, 'the lead-in and GOP replay alone, then live with the group, each once');
      assert.deepEqual(alone.batches.flat(), seqs, 'ungrouped readers are written one by one as before');
      fanout.removeReader(b);
      source.publish(false);
      await tick();
      assert.deepEqual(group.calls[group.calls.length - 1].readers, [a, late], 'a removed member is no longer written');
    } finally {
      await closeAll(fanout, source, bus);
    }
    });

  it('a new reader gets a sender report per track before its first media packet, then the lead-in and the GOP (RTP-Info names the lead-in)', async () => {
    const bus = new InProcessBus();
    const source = new SyntheticStream(bus, 'start');
    const fanout = fanoutOf(source, bus);
    try {
      await fanout.ready;
      const lead = source.publish(false);
      const key = source.publish(true);
      const next = source.publish(false);
      await tick();
      const events: string[] = [];
      const reader: FanoutReader = {
        transport: 'tcp', wants: () => true,
        writeBatch: (batch) => {
          events.push(...batch.units.map((au) => `rtp ${seqOf(au.packets[0])}`));
          return 1;
        },
        writeRtcp: (_track, packet) => events.push(`rtcp ${packet[1]}`),
        dropped: () => undefined,
      };
      const start = fanout.startInfo().get(0);
      assert.deepEqual(start, { seq: seqOf(lead.packets[0]), rtptime: lead.rtpTimestamp });
      fanout.addReader(reader);
      // 200 = RTCP SR (RFC 3550 §6.4.1).
      assert.deepEqual(events, ['rtcp 200', `rtp ${seqOf(lead.packets[0])}`, `rtp ${seqOf(key.packets[0])}`, `rtp ${seqOf(next.packets[0])}`]);
    } finally {
      await closeAll(fanout, source, bus);
    }
    });

  it('a stream\'s first keyframe (nothing before it) is led in by a skipped picture: just before it in sequence and time, on its SSRC', async () => {
    const bus = new InProcessBus();
    const source = new SyntheticStream(bus, 'first', 1, SPROP_1080P30);
    const fanout = fanoutOf(source, bus);
    try {
      await fanout.ready;
      const units: AccessUnitMessage[] = [];
      const reader = (into: AccessUnitMessage[]): FanoutReader => ({
        transport: 'tcp', wants: () => true, writeRtcp: () => undefined, dropped: () => undefined,
        writeBatch: (batch) => (into.push(...batch.units), 1),
      });
      // Waiting for the first keyframe, and joining after it (GOP replay): led in alike.
      const waiting: AccessUnitMessage[] = [];
      fanout.addReader(reader(waiting));
      const key = source.publish(true);
      source.publish(false);
      await tick();
      assert.deepEqual(fanout.startInfo().get(0), { seq: seqOf(key.packets[0]) - 3, rtptime: key.rtpTimestamp - 3000 });
      fanout.addReader(reader(units));
      for (const got of [units, waiting]) {
        const [lead, ...rest] = got;
        assert.equal(seqOf(rest[0].packets[0]), seqOf(key.packets[0]));
        assert.equal(lead.keyframe, false);
        assert.equal(lead.rtpTimestamp, key.rtpTimestamp - 3000, 'one frame before (30 fps from the SPS)');
        // The SPS, a PPS with an id the stream does not use (1), then the slice: a packet each (RFC 6184 §5.6).
        const k = seqOf(key.packets[0]);
        assert.deepEqual(lead.packets.map(seqOf), [k - 3, k - 2, k - 1]);
        const packets = lead.packets.map(parseRtpPacket);
        for (const p of packets) {
          assert.equal(p.header.ssrc, parseRtpPacket(key.packets[0]).header.ssrc);
          assert.equal(p.header.payloadType, 96);
        }
        assert.deepEqual(packets.map((p) => p.header.marker), [false, false, true]);
        const nalus = packets.map((p) => p.payload);
        assert.deepEqual(nalus.map((n) => n[0] & 0x1f), [7, 8, 1]);
        assert.equal(h264PpsId(nalus[1]), 1);
      }
      // Once a unit came before a keyframe, that unit leads in, as before.
      const before = source.publish(false);
      source.publish(true);
      await tick();
      const later: AccessUnitMessage[] = [];
      fanout.addReader(reader(later));
      assert.deepEqual(later[0].packets.map(seqOf), before.packets.map(seqOf));
    } finally {
      await closeAll(fanout, source, bus);
    }
  });

  it('a reader resuming after its source came back gets the keyframe without a lead-in; a new reader is still led in', async () => {
    const bus = new InProcessBus();
    const source = new SyntheticStream(bus, 'resume', 1, SPROP_1080P30);
    const fanout = fanoutOf(source, bus);
    try {
      await fanout.ready;
      const reader = new RecordingReader();
      fanout.addReader(reader);
      source.publish(true);
      source.publish(false);
      await tick();
      fanout.sourceDown();
      reader.batches.length = 0;
      // Back: the new source's first keyframe has nothing before it.
      const key = source.publish(true);
      await tick();
      assert.deepEqual(reader.batches, [[seqOf(key.packets[0])]], 'the keyframe alone: the decoder before the outage is still running');
      const fresh = new RecordingReader();
      fanout.addReader(fresh);
      assert.deepEqual(fresh.batches[0], [seqOf(key.packets[0]) - 3, seqOf(key.packets[0]) - 2, seqOf(key.packets[0]) - 1, seqOf(key.packets[0])]);
    } finally {
      await closeAll(fanout, source, bus);
    }
  });

  it('without the SPS (no sprop, none in band) a first keyframe goes out unled, as before', async () => {
    const bus = new InProcessBus();
    const source = new SyntheticStream(bus, 'nosps');
    const fanout = fanoutOf(source, bus);
    try {
      await fanout.ready;
      const key = source.publish(true);
      await tick();
      const reader = new RecordingReader();
      fanout.addReader(reader);
      assert.deepEqual(reader.batches, [[seqOf(key.packets[0])]]);
    } finally {
      await closeAll(fanout, source, bus);
    }
  });

  it('a UDP reader gets its replay paced (a bounded share per 10 ms tick), live units queued behind it in order', async () => {
    const bus = new InProcessBus();
    const source = new SyntheticStream(bus, 'paced');
    const fanout = fanoutOf(source, bus, {
      gopLimits: { maxUnits: 1000, maxBytes: 1 << 24 },
      // 10 units of 10 packets x 1000 bytes per tick.
      udpReplayBytesPerMs: 10_000,
    });
    const group = new RecordingGroup();
    try {
      await fanout.ready;
      // 25 frames a second (what sets the pace beside the least one: twice the stream's rate).
      const t0 = Date.now() - 30 * 40;
      source.publish(true, 10, 1000, t0);
      for (let i = 1; i < 30; i++) source.publish(false, 10, 1000, t0 + i * 40);
      await tick();
      const reader = new GroupedReader(group);
      fanout.addReader(reader);
      assert.equal(reader.received.length, 0, 'nothing is sent in the PLAY call itself');
      await new Promise((r) => setTimeout(r, 5));
      // One share of 100 kB per tick (a loaded machine may have run more than one tick by now).
      assert.ok(reader.received.length >= 100, 'the first share went out');
      assert.deepEqual(group.calls.map((c) => c.seqs.length).filter((n) => n !== 100), [], 'every replay write is one 100 kB share');
      source.publish(false, 10, 1000);
      await tick();
      const replay = source.published.slice(0, 30).flatMap((au) => au.packets.map(seqOf));
      assert.deepEqual(reader.received, replay.slice(0, reader.received.length), 'a live unit waits behind the replay');
      await new Promise((r) => setTimeout(r, 60));
      const seqs = source.published.flatMap((au) => au.packets.map(seqOf));
      assert.deepEqual(reader.received, seqs, 'every packet once, in order');
      source.publish(false, 1, 100);
      await tick();
      assert.deepEqual(group.calls[group.calls.length - 1].readers, [reader], 'caught up: written with its group');
    } finally {
      await closeAll(fanout, source, bus);
    }
  });

  it('a UDP reader gets a keyframe larger than one tick\'s share in parts (whole, it would overflow a default socket buffer)', async () => {
    const bus = new InProcessBus();
    const source = new SyntheticStream(bus, 'split');
    const fanout = fanoutOf(source, bus, {
      gopLimits: { maxUnits: 1000, maxBytes: 1 << 24 },
      // 25 packets of 1000 bytes per tick.
      udpReplayBytesPerMs: 2_500,
    });
    const group = new RecordingGroup();
    try {
      await fanout.ready;
      // A 60-packet keyframe, then two 10-packet units.
      const t0 = Date.now() - 120;
      source.publish(true, 60, 1000, t0);
      source.publish(false, 10, 1000, t0 + 40);
      source.publish(false, 10, 1000, t0 + 80);
      await tick();
      const reader = new GroupedReader(group);
      fanout.addReader(reader);
      await new Promise((r) => setTimeout(r, 120));
      assert.deepEqual(group.calls.map((c) => c.seqs.length), [25, 25, 25, 5], 'shares of at most 25 packets, the keyframe split across the first three');
      const seqs = source.published.flatMap((au) => au.packets.map(seqOf));
      assert.deepEqual(reader.received, seqs, 'every packet once, in order');
    } finally {
      await closeAll(fanout, source, bus);
    }
  });

  it('a UDP replay goes at twice the stream\'s own rate when that is above the least pace, so the reader catches up', async () => {
    const bus = new InProcessBus();
    const source = new SyntheticStream(bus, 'fast');
    const fanout = fanoutOf(source, bus, {
      gopLimits: { maxUnits: 1000, maxBytes: 1 << 24 },
      // Least pace: 10 packets of 1000 bytes per tick.
      udpReplayBytesPerMs: 1_000,
    });
    const group = new RecordingGroup();
    try {
      await fanout.ready;
      // 10 units of 10 kB over 90 ms: ~1.1 MB/s, so 2.2 kB/ms: 22 packets per tick.
      const t0 = Date.now() - 100;
      source.publish(true, 10, 1000, t0);
      for (let i = 1; i < 10; i++) source.publish(false, 10, 1000, t0 + i * 10);
      await tick();
      const reader = new GroupedReader(group);
      fanout.addReader(reader);
      await new Promise((r) => setTimeout(r, 80));
      assert.deepEqual(group.calls.map((c) => c.seqs.length), [22, 22, 22, 22, 12], 'shares of 2 x 100 kB / 90 ms x 10 ms = 22.2 kB');
    } finally {
      await closeAll(fanout, source, bus);
    }
  });

  it('a reader added after the fan-out closed (the source stopped while its PLAY was answered) gets the BYE and is dropped, not left waiting', async () => {
    const bus = new InProcessBus();
    const source = new SyntheticStream(bus, 'late');
    const fanout = fanoutOf(source, bus);
    try {
      await fanout.ready;
      source.publish(true);
      await tick();
      const early = new RecordingReader();
      fanout.addReader(early);
      fanout.close('source-stopped');
      const rtcp: Uint8Array[] = [];
      const dropped: string[] = [];
      const late: FanoutReader = {
        transport: 'tcp', wants: () => true, writeBatch: () => 1,
        writeRtcp: (_track, packet) => rtcp.push(packet), dropped: (reason) => dropped.push(reason),
      };
      fanout.addReader(late);
      assert.deepEqual(dropped, ['source-stopped']);
      assert.ok(rtcp.length > 0 && rtcp.every((p) => p.some((_, i) => p[i + 1] === 203)), 'an RTCP BYE (PT 203) on its tracks');
      assert.equal(fanout.readerCount, 0);
    } finally {
      source.close();
      await bus.close();
    }
    });

  describe('merged TCP writes (tcpMerge)', () => {
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    const make = (source: SyntheticStream, bus: InProcessBus, sent: number[] = []): StreamFanout => fanoutOf(source, bus, {
      tcpMerge: { windowMs: 40, minReaders: 2 },
      onAccessUnitSent: (_s, _r, now) => sent.push(now),
    });

    it('below minReaders every run is written at once; from minReaders on, runs within the window are one write', async () => {
      const bus = new InProcessBus();
      const source = new SyntheticStream(bus, 'merge');
      const sent: number[] = [];
      const fanout = make(source, bus, sent);
      try {
        await fanout.ready;
        const a = new RecordingReader();
        fanout.addReader(a);
        source.publish(true);
        await tick();
        source.publish(false);
        await tick();
        assert.equal(a.batches.length, 2, 'one reader: not merged');
        const b = new RecordingReader();
        fanout.addReader(b);
        const before = a.batches.length;
        const t0 = performance.now();
        for (let i = 0; i < 3; i++) {
          source.publish(false);
          await tick();
        }
        assert.equal(a.batches.length, before, 'held within the window');
        sent.length = 0;
        for (let i = 0; i < 100 && a.batches.length === before; i++) await sleep(5);
        const waited = performance.now() - t0;
        const seqs = source.published.map((au) => seqOf(au.packets[0]));
        assert.deepEqual(a.batches.slice(before), [seqs.slice(2, 5)], 'three runs, one write');
        assert.deepEqual(b.batches.flat(), seqs, 'the new reader: GOP replay, then the merged write, each unit once');
        assert.ok(waited >= 35 && waited < 400, `written after the window (${waited.toFixed(0)} ms)`);
        assert.equal(sent.length, 3, 'the latency metric stamps them when written');
      } finally {
        await closeAll(fanout, source, bus);
      }
    });

    it('a reader joining mid-window, readers leaving below minReaders, and close all keep every unit once, in order', async () => {
      const bus = new InProcessBus();
      const source = new SyntheticStream(bus, 'merge2');
      const fanout = make(source, bus);
      try {
        await fanout.ready;
        const a = new RecordingReader();
        const b = new RecordingReader();
        fanout.addReader(a);
        fanout.addReader(b);
        source.publish(true);
        await tick();
        source.publish(false);
        await tick();
        // Joins while two units are held: a and b get them now, c in its GOP replay.
        const c = new RecordingReader();
        fanout.addReader(c);
        source.publish(false);
        await tick();
        // Two of three leave: below minReaders, units go out at once, after the held one.
        fanout.removeReader(b);
        fanout.removeReader(c);
        source.publish(false);
        await tick();
        const seqs = source.published.map((au) => seqOf(au.packets[0]));
        assert.deepEqual(a.batches.flat(), seqs, 'a: every unit once, in order');
        assert.deepEqual(c.batches.flat(), seqs.slice(0, 2), 'c: the GOP only (it left before the held unit was written)');
        assert.deepEqual(b.batches.flat(), seqs.slice(0, 2));
        // Held units are written before the goodbye.
        fanout.addReader(b);
        fanout.addReader(c);
        source.publish(false);
        await tick();
        fanout.close('source-stopped');
        const all = source.published.map((au) => seqOf(au.packets[0]));
        assert.deepEqual(a.batches.flat(), all);
      } finally {
        await closeAll(fanout, source, bus);
      }
    });
  });
});
