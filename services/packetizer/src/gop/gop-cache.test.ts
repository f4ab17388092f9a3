import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AccessUnitMessage, decodeEnvelopeList, encodeEnvelope, encodeEnvelopeList } from '@streamgate/contracts';
import { GopCache } from './gop-cache';

function au(track: number, keyframe: boolean, size: number): AccessUnitMessage {
  return { kind: 'access-unit', track, keyframe, rtpTimestamp: size, receivedAt: 1, packets: [new Uint8Array(size).fill(track + 1)] };
}

test('envelope list of the cached bytes equals encodeEnvelopeList of the units', () => {
  const gop = new GopCache({ maxUnits: 100, maxBytes: 1 << 20 });
  const units = [au(0, true, 100), au(1, false, 20), au(0, false, 50)];
  gop.add(encodeEnvelope(au(0, false, 10)), false); // before the first keyframe: not cached
  for (const u of units) gop.add(encodeEnvelope(u), u.track === 0 && u.keyframe);
  const list = gop.toEnvelopeList();
  assert.deepEqual(list, encodeEnvelopeList(units));
  assert.equal(decodeEnvelopeList(list).length, 3);
  assert.deepEqual(new GopCache({ maxUnits: 1, maxBytes: 1 }).toEnvelopeList(), new Uint8Array(0));
});

test('a GOP over the unit or byte bound is dropped until the next keyframe', () => {
  const byUnits = new GopCache({ maxUnits: 2, maxBytes: 1 << 20 });
  byUnits.add(encodeEnvelope(au(0, true, 10)), true);
  byUnits.add(encodeEnvelope(au(0, false, 10)), false);
  byUnits.add(encodeEnvelope(au(0, false, 10)), false);
  assert.equal(byUnits.size, 0);
  assert.equal(byUnits.overflows, 1);
  byUnits.add(encodeEnvelope(au(0, false, 10)), false);
  assert.equal(byUnits.size, 0, 'stays closed until a keyframe');
  byUnits.add(encodeEnvelope(au(0, true, 10)), true);
  assert.equal(byUnits.size, 1);

  const first = encodeEnvelope(au(0, true, 100));
  const byBytes = new GopCache({ maxUnits: 100, maxBytes: first.byteLength + 10 });
  byBytes.add(first, true);
  assert.equal(byBytes.byteLength, first.byteLength);
  byBytes.add(encodeEnvelope(au(1, false, 20)), false);
  assert.equal(byBytes.size, 0);
  assert.equal(byBytes.byteLength, 0);
  assert.equal(byBytes.overflows, 1);
});
