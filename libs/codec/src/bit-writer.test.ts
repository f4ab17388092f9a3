import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BitReader } from './bit-reader';
import { BitWriter } from './bit-writer';
import { nalToRbsp, rbspToNal } from './annexb';

type Field = { kind: 'bits'; n: number; v: number } | { kind: 'ue'; v: number } | { kind: 'se'; v: number };

const field: fc.Arbitrary<Field> = fc.oneof(
  fc.integer({ min: 1, max: 32 }).chain((n) => fc.integer({ min: 0, max: 2 ** n - 1 }).map((v) => ({ kind: 'bits' as const, n, v }))),
  fc.integer({ min: 0, max: 2 ** 31 - 2 }).map((v) => ({ kind: 'ue' as const, v })),
  fc.integer({ min: -(2 ** 30), max: 2 ** 30 }).map((v) => ({ kind: 'se' as const, v })),
);

test('BitWriter: what it writes BitReader reads back, field by field', () => {
  fc.assert(fc.property(fc.array(field, { maxLength: 40 }), (fields) => {
    const w = new BitWriter();
    for (const f of fields) {
      if (f.kind === 'bits') w.bits(f.n, f.v);
      else if (f.kind === 'ue') w.ue(f.v);
      else w.se(f.v);
    }
    const r = new BitReader(w.trailingBits().finish());
    for (const f of fields) assert.equal(f.kind === 'bits' ? r.bits(f.n) : f.kind === 'ue' ? r.ue() : r.se(), f.v);
    assert.equal(r.bit(), 1, 'rbsp_stop_one_bit');
    while (r.bitsLeft > 0) assert.equal(r.bit(), 0);
  }), { seed: 11, numRuns: 500 });
});

test('BitWriter: Exp-Golomb codes of H.264 Table 9-2', () => {
  const bits = (w: BitWriter, n: number): string => [...w.finish()].map((b) => b.toString(2).padStart(8, '0')).join('').slice(0, n);
  assert.equal(bits(new BitWriter().ue(0), 1), '1');
  assert.equal(bits(new BitWriter().ue(3), 5), '00100');
  assert.equal(bits(new BitWriter().se(-2), 5), '00101');
  assert.equal(bits(new BitWriter().se(3), 5), '00110');
});

test('rbspToNal: no start code inside, and nalToRbsp gives the RBSP back', () => {
  const zeroHeavy = fc.uint8Array({ maxLength: 64 }).map((a) => a.map((b) => (b < 160 ? 0 : b % 4)));
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), zeroHeavy), (rbsp) => {
    const nal = rbspToNal(rbsp);
    for (let i = 2; i < nal.byteLength; i++) assert.ok(!(nal[i - 2] === 0 && nal[i - 1] === 0 && nal[i] <= 2), `00 00 0${nal[i]} at ${i - 2}`);
    assert.deepEqual([...nalToRbsp(nal)], [...rbsp]);
  }), { seed: 12, numRuns: 1000 });
});
