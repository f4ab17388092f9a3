import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferSlab } from './buffer-slab';

test('pieces come one after another from one slab until it is full, then from a new one', () => {
  const slab = new BufferSlab(1024, 256);
  const a = slab.allocate(100);
  const b = slab.allocate(200);
  assert.equal(a.buffer, b.buffer, 'one slab');
  assert.equal(b.byteOffset, a.byteOffset + 100, 'back to back');
  const pieces = [slab.allocate(256), slab.allocate(256), slab.allocate(256)];
  assert.equal(pieces[1].buffer, a.buffer, '812 of 1024 bytes used');
  assert.notEqual(pieces[2].buffer, a.buffer, 'a piece that does not fit starts a new slab');
  assert.equal(pieces[2].byteOffset, 0);
  // Pieces never overlap: writing one leaves its neighbours as they were.
  a.fill(1);
  b.fill(2);
  assert.ok(a.every((x) => x === 1) && b.every((x) => x === 2));
});

test('a piece larger than maxPiece gets a buffer of its own; pieces are plain Uint8Arrays (slice copies)', () => {
  const slab = new BufferSlab(1024, 256);
  const small = slab.allocate(10);
  const big = slab.allocate(257);
  assert.equal(big.byteLength, 257);
  assert.notEqual(big.buffer, small.buffer);
  assert.equal(slab.allocate(10).byteOffset, small.byteOffset + 10, 'the slab goes on after a big piece');
  assert.equal(Object.getPrototypeOf(small), Uint8Array.prototype);
  small[0] = 7;
  const copy = small.slice();
  copy[0] = 8;
  assert.equal(small[0], 7);
});

test('a slab smaller than its largest piece is refused', () => {
  assert.throws(() => new BufferSlab(100, 200), RangeError);
});
