import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { AccessUnitMessage } from '@streamgate/contracts';
import { GopCache } from './gop-cache';

function au(track: number, keyframe: boolean, bytes = 10): AccessUnitMessage {
  return { kind: 'access-unit', track, keyframe, rtpTimestamp: 0, receivedAt: 0, packets: [new Uint8Array(bytes)] };
}

describe('GopCache', () => {
  it('keeps the units since the last video keyframe, all tracks', () => {
    const gop = new GopCache({ maxAccessUnits: 10, maxBytes: 1000 }, 0);
    gop.add(au(0, false));
    assert.equal(gop.accessUnits.length, 0, 'nothing before the first keyframe');
    const key = au(0, true);
    gop.add(key);
    gop.add(au(1, false));
    gop.add(au(0, false));
    assert.equal(gop.accessUnits.length, 3);
    assert.equal(gop.accessUnits[0], key);
    gop.add(au(0, true));
    assert.equal(gop.accessUnits.length, 1, 'a new keyframe starts over');
  });

  it('empties itself until the next keyframe when a GOP outgrows maxAccessUnits or maxBytes', () => {
    const byCount = new GopCache({ maxAccessUnits: 2, maxBytes: 1000 }, 0);
    byCount.add(au(0, true));
    byCount.add(au(0, false));
    byCount.add(au(0, false));
    assert.equal(byCount.accessUnits.length, 0);
    byCount.add(au(0, false));
    assert.equal(byCount.accessUnits.length, 0, 'stays empty: a partial GOP is useless');
    byCount.add(au(0, true));
    assert.equal(byCount.accessUnits.length, 1);

    const byBytes = new GopCache({ maxAccessUnits: 100, maxBytes: 25 }, 0);
    byBytes.add(au(0, true));
    byBytes.add(au(0, false));
    assert.equal(byBytes.accessUnits.length, 2);
    byBytes.add(au(0, false));
    assert.equal(byBytes.accessUnits.length, 0);
  });

  it('keeps nothing for a stream without video', () => {
    const gop = new GopCache({ maxAccessUnits: 10, maxBytes: 1000 }, undefined);
    gop.add(au(1, true));
    assert.equal(gop.accessUnits.length, 0);
  });
});
