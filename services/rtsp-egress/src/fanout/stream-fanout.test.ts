import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { InProcessBus, createLogger } from '@streamgate/platform';
import { SyntheticStream, seqOf } from '../testing/synthetic-stream';
import type { AccessUnitBatch } from './access-unit-batch';
import type { FanoutReader } from './fanout-reader';
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
});
