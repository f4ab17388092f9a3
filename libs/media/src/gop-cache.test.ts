import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { GopCache } from './gop-cache';

interface Unit {
  track: number;
  keyframe: boolean;
  bytes: number;
}
const unit = (track: number, keyframe: boolean, bytes = 10): Unit => ({ track, keyframe, bytes });
const add = (gop: GopCache<Unit>, u: Unit): void => gop.add(u, u.track === 0 && u.keyframe);
const cache = (maxUnits: number, maxBytes: number): GopCache<Unit> => new GopCache<Unit>({ maxUnits, maxBytes }, (u) => u.bytes);

describe('GopCache', () => {
  it('keeps the units since the last video keyframe, all tracks', () => {
    const gop = cache(10, 1000);
    add(gop, unit(0, false));
    assert.equal(gop.size, 0, 'nothing before the first keyframe');
    const key = unit(0, true);
    add(gop, key);
    add(gop, unit(1, false));
    add(gop, unit(0, false));
    assert.equal(gop.size, 3);
    assert.equal(gop.units[0], key);
    assert.equal(gop.byteLength, 30);
    add(gop, unit(0, true));
    assert.equal(gop.size, 1, 'a new keyframe starts over');
  });

  it('makes a lead-in (makeLeadIn) for a keyframe with no video unit before it, once and only when asked', () => {
    const made: Unit[] = [];
    const gop = new GopCache<Unit>({ maxUnits: 10, maxBytes: 1000 }, (u) => u.bytes, (key) => {
      made.push(key);
      return unit(0, false, 1);
    });
    const add3 = (u: Unit): void => gop.add(u, u.track === 0 && u.keyframe, u.track === 0);
    const key = unit(0, true);
    add3(key);
    add3(unit(1, false));
    assert.deepEqual(made, [], 'not before a reader needs it');
    const replay = gop.replay;
    assert.equal(replay.length, 3);
    assert.equal(replay[0].bytes, 1, 'the made lead-in first');
    assert.equal(gop.leadInOf(key), replay[0]);
    assert.equal(gop.replay.length, 3);
    assert.deepEqual(made, [key], 'made once');
    // The next keyframe has a real unit before it: that leads in, nothing is made.
    const before = unit(0, false);
    add3(before);
    add3(unit(0, true));
    assert.equal(gop.replay[0], before);
    assert.equal(made.length, 1);
    // After a clear the next keyframe is a first again.
    gop.clear();
    add3(unit(0, true));
    assert.equal(gop.replay[0].bytes, 1);
    assert.equal(made.length, 2);
  });

  it('replays the video unit before the keyframe first (the lead-in): ffmpeg gives the first frame it parses no timestamp', () => {
    const gop = cache(10, 1000);
    const lead = (g: GopCache<Unit>, u: Unit): void => g.add(u, u.track === 0 && u.keyframe, u.track === 0);
    assert.deepEqual(gop.replay, []);
    const before = unit(0, false);
    lead(gop, before);
    assert.deepEqual(gop.replay, [], 'no GOP, nothing to replay');
    const key = unit(0, true);
    const audio = unit(1, false);
    lead(gop, key);
    lead(gop, audio);
    assert.deepEqual(gop.replay, [before, key, audio]);
    assert.deepEqual(gop.units, [key, audio], 'the GOP itself still starts at its keyframe');
    assert.equal(gop.leadInOf(key), before);
    assert.equal(gop.leadInOf(audio), undefined);
    const last = unit(0, false);
    lead(gop, last);
    lead(gop, unit(1, false));
    const next = unit(0, true);
    lead(gop, next);
    assert.deepEqual(gop.replay, [last, next], 'audio between does not replace the lead-in');
    lead(gop, unit(0, true));
    assert.equal(gop.replay.length, 1, 'a keyframe never leads in');
    gop.clear();
    lead(gop, unit(0, true));
    assert.equal(gop.replay.length, 1, 'nothing leads in after clear()');
    const small = cache(2, 1000);
    lead(small, unit(0, true));
    lead(small, unit(0, false));
    const tail = unit(0, false);
    lead(small, tail);
    assert.equal(small.size, 0, 'overflowed');
    const again = unit(0, true);
    lead(small, again);
    assert.deepEqual(small.replay, [tail, again], 'an overflow keeps following the lead-in');
  });

  it('a GOP over the unit or byte bound is dropped and stays closed until the next keyframe', () => {
    const byUnits = cache(2, 1000);
    add(byUnits, unit(0, true));
    add(byUnits, unit(0, false));
    add(byUnits, unit(0, false));
    assert.equal(byUnits.size, 0);
    assert.equal(byUnits.overflows, 1);
    add(byUnits, unit(0, false));
    assert.equal(byUnits.size, 0, 'a partial GOP is useless');
    add(byUnits, unit(0, true));
    assert.equal(byUnits.size, 1);

    const byBytes = cache(100, 25);
    add(byBytes, unit(0, true));
    add(byBytes, unit(1, false));
    assert.equal(byBytes.byteLength, 20);
    add(byBytes, unit(0, false));
    assert.equal(byBytes.size, 0);
    assert.equal(byBytes.byteLength, 0);
    assert.equal(byBytes.overflows, 1);
  });

  it('never holds more than its bounds, and always starts with a keyframe (property)', () => {
    fc.assert(fc.property(
      fc.array(fc.record({ track: fc.integer({ min: 0, max: 1 }), keyframe: fc.boolean(), bytes: fc.integer({ min: 0, max: 50 }) }), { maxLength: 200 }),
      fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 300 }),
      (units, maxUnits, maxBytes) => {
        const gop = cache(maxUnits, maxBytes);
        for (const u of units) {
          add(gop, u);
          assert.ok(gop.size <= maxUnits && gop.byteLength <= maxBytes);
          if (gop.size > 0) assert.ok(gop.units[0].track === 0 && gop.units[0].keyframe);
        }
      },
    ));
  });
});
