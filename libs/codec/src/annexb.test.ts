import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { joinAnnexB, joinAvcc, nalToRbsp, NalFramingError, splitAnnexB, splitAvcc } from './annexb';

const b = (...x: number[]): Uint8Array => new Uint8Array(x);

describe('Annex B', () => {
  test('splits 3- and 4-byte start codes, drops trailing zeros', () => {
    const nalus = splitAnnexB(b(0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 0, 1, 0x65, 4));
    assert.deepEqual(nalus.map((n) => [...n]), [[0x67, 1, 2], [0x68, 3], [0x65, 4]]);
  });
  test('rejects data without a start code or garbage before it', () => {
    assert.throws(() => splitAnnexB(b(0x67, 1, 2)), NalFramingError);
    assert.throws(() => splitAnnexB(b(5, 0, 0, 1, 0x67)), NalFramingError);
  });
  test('join ∘ split is the identity on NAL units without trailing zeros', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 30 }).map((u) => {
      // A NAL unit never contains a start code (emulation prevention) nor ends with 0.
      const v = Uint8Array.from(u, (x) => (x < 2 ? x + 2 : x));
      return v;
    }), { maxLength: 8 }), (nalus) => {
      const back = nalus.length === 0 ? [] : splitAnnexB(joinAnnexB(nalus));
      assert.deepEqual(back.map((n) => [...n]), nalus.map((n) => [...n]));
    }), { seed: 3 });
  });
});

describe('AVCC', () => {
  test('round trip with each length size', () => {
    for (const size of [1, 2, 4] as const) {
      const nalus = [b(0x65, 1, 2, 3), b(0x06, 9)];
      assert.deepEqual(splitAvcc(joinAvcc(nalus, size), size).map((n) => [...n]), nalus.map((n) => [...n]));
    }
  });
  test('length overrunning the buffer is a typed error, not a slice past the end', () => {
    assert.throws(() => splitAvcc(b(0, 0, 0, 9, 0x65, 1)), NalFramingError);
    assert.throws(() => splitAvcc(b(0, 0, 1)), NalFramingError);
  });
  test('fuzz: only NalFramingError, every NAL unit inside the input', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(1 as const, 2 as const, 4 as const), (buf, size) => {
      try {
        for (const n of splitAvcc(buf, size)) assert.ok(n.byteOffset + n.byteLength <= buf.byteOffset + buf.byteLength);
      } catch (err) {
        assert.ok(err instanceof NalFramingError);
      }
    }), { seed: 4 });
  });
});

test('nalToRbsp removes emulation prevention bytes', () => {
  assert.deepEqual([...nalToRbsp(b(0x67, 0, 0, 3, 1, 0, 0, 3, 0))], [0x67, 0, 0, 1, 0, 0, 0]);
  const plain = b(1, 2, 3);
  assert.equal(nalToRbsp(plain), plain);
});
