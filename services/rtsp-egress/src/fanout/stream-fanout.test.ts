import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { InProcessBus, createLogger } from '@streamgate/platform';
import { SyntheticStream, seqOf } from '../testing/synthetic-stream';
import type { AccessUnitBatch } from './access-unit-batch';
import type { FanoutGroup, FanoutReader } from './fanout-reader';
import { StreamFanout } from './stream-fanout';

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

describe('StreamFanout', () => {
  it('sends the units published in one run as one batch, and a reader added meanwhile gets each unit once', async () => {
    const bus = new InProcessBus();
    const source = new SyntheticStream(bus, 'batch');
    const fanout = new StreamFanout('batch', source.description, bus, createLogger({ service: 'fanout-test', level: 'silent' }), {
      gopRequestTimeoutMs: 200, gopLimits: { maxAccessUnits: 100, maxBytes: 1 << 20 }, maxPendingAccessUnits: 100,
    });
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
      fanout.close('shutdown');
      source.close();
      await bus.close();
    }
  });

  it('a unit both in the GOP reply and delivered live while it was requested is sent once', async () => {
    const bus = new InProcessBus();
    const source = new SyntheticStream(bus, 'overlap');
    source.publish(true);
    await tick();
    const fanout = new StreamFanout('overlap', source.description, bus, createLogger({ service: 'fanout-test', level: 'silent' }), {
      gopRequestTimeoutMs: 200, gopLimits: { maxAccessUnits: 100, maxBytes: 1 << 20 }, maxPendingAccessUnits: 100,
    });
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
      fanout.close('shutdown');
      source.close();
      await bus.close();
    }
  });

  it('hands grouped readers to their group in one call per batch, and a late reader joins it after its keyframe', async () => {
    const bus = new InProcessBus();
    const source = new SyntheticStream(bus, 'grouped');
    const fanout = new StreamFanout('grouped', source.description, bus, createLogger({ service: 'fanout-test', level: 'silent' }), {
      gopRequestTimeoutMs: 200, gopLimits: { maxAccessUnits: 100, maxBytes: 1 << 20 }, maxPendingAccessUnits: 100,
    });
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
      source.publish(false);
      await tick();
      const seqs = source.published.map((au) => seqOf(au.packets[0]));
      const lastCall = group.calls[group.calls.length - 1];
      assert.deepEqual(lastCall.readers, [a, b, late], 'one call for all members past their keyframe');
      assert.deepEqual(lastCall.seqs, [seqs[3]]);
      assert.deepEqual(a.received, seqs.slice(1), 'from the keyframe on, each unit once');
      assert.deepEqual(b.received, seqs.slice(1));
      assert.deepEqual(late.received, seqs.slice(1), 'the GOP replay alone, then live with the group, each once');
      assert.deepEqual(alone.batches.flat(), seqs.slice(1), 'ungrouped readers are written one by one as before');
      fanout.removeReader(b);
      source.publish(false);
      await tick();
      assert.deepEqual(group.calls[group.calls.length - 1].readers, [a, late], 'a removed member is no longer written');
    } finally {
      fanout.close('shutdown');
      source.close();
      await bus.close();
    }
  });

  describe('merged TCP writes (tcpMerge)', () => {
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    const make = (name: string, source: SyntheticStream, bus: InProcessBus, sent: number[] = []): StreamFanout => new StreamFanout(name, source.description, bus, createLogger({ service: 'fanout-test', level: 'silent' }), {
      gopRequestTimeoutMs: 200, gopLimits: { maxAccessUnits: 100, maxBytes: 1 << 20 }, maxPendingAccessUnits: 100,
      tcpMerge: { windowMs: 40, minReaders: 2 },
      onAccessUnitSent: (_s, _r, now) => sent.push(now),
    });

    it('below minReaders every run is written at once; from minReaders on, runs within the window are one write', async () => {
      const bus = new InProcessBus();
      const source = new SyntheticStream(bus, 'merge');
      const sent: number[] = [];
      const fanout = make('merge', source, bus, sent);
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
        fanout.close('shutdown');
        source.close();
        await bus.close();
      }
    });

    it('a reader joining mid-window, readers leaving below minReaders, and close all keep every unit once, in order', async () => {
      const bus = new InProcessBus();
      const source = new SyntheticStream(bus, 'merge2');
      const fanout = make('merge2', source, bus);
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
        fanout.close('shutdown');
        source.close();
        await bus.close();
      }
    });
  });
});
