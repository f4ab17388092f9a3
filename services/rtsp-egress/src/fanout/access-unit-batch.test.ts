import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { AccessUnitMessage } from '@streamgate/contracts';
import { AccessUnitBatch, InterleavedChannels } from './access-unit-batch';

function au(track: number, ...packets: number[][]): AccessUnitMessage {
  return { kind: 'access-unit', track, keyframe: false, rtpTimestamp: 0, receivedAt: 0, packets: packets.map((p) => Uint8Array.from(p)) };
}

const VIDEO_ON_0_AUDIO_ON_2 = new Map([[0, 0], [1, 2]]);

describe('AccessUnitBatch', () => {
  const batch = new AccessUnitBatch([au(0, [1], [2, 3]), au(1, [4]), au(0, [5])]);

  it('interleaves every packet of every mapped unit in arrival order (RFC 2326 §10.12)', () => {
    assert.deepEqual([...batch.interleaved(new InterleavedChannels(VIDEO_ON_0_AUDIO_ON_2))], [
      0x24, 0, 0, 1, 1, 0x24, 0, 0, 2, 2, 3, 0x24, 2, 0, 1, 4, 0x24, 0, 0, 1, 5,
    ]);
  });

  it('skips tracks the reader did not set up', () => {
    assert.deepEqual([...batch.interleaved(new InterleavedChannels(new Map([[1, 6]])))], [0x24, 6, 0, 1, 4]);
    assert.equal(batch.interleaved(new InterleavedChannels(new Map([[7, 0]]))).byteLength, 0);
  });

  it('builds the bytes once per channel mapping and hands every reader with that mapping the same buffer', () => {
    const shared = new AccessUnitBatch(batch.units);
    const first = shared.interleaved(new InterleavedChannels(VIDEO_ON_0_AUDIO_ON_2));
    const other = shared.interleaved(new InterleavedChannels(new Map([[1, 0], [0, 2]])));
    assert.equal(shared.interleaved(new InterleavedChannels(new Map([[1, 2], [0, 0]]))), first, 'same mapping, given in another order');
    assert.equal(shared.interleaved(new InterleavedChannels(new Map([[1, 0], [0, 2]]))), other);
    assert.notDeepEqual([...first], [...other]);
  });

  it('from(i) is the batch from its i-th unit on (a reader starting at a keyframe inside it)', () => {
    assert.equal(batch.from(0), batch);
    assert.deepEqual(batch.from(1).units, batch.units.slice(1));
    assert.equal(batch.from(1), batch.from(1));
  });
});
