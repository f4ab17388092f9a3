import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { seqAdd, seqDiff, seqLessThan, timestampDiff, wrapTimestamp } from './sequence';
import { Sequencer } from './sequencer';

describe('sequence arithmetic (RFC 3550 A.1)', () => {
  const diffs: Array<[number, number, number]> = [
    [0, 1, 1], [1, 0, -1], [65535, 0, 1], [0, 65535, -1], [65000, 100, 636], [100, 65000, -636], [0, 32767, 32767], [0, 32768, -32768],
  ];
  for (const [a, b, d] of diffs) test(`seqDiff(${a}, ${b}) = ${d}`, () => assert.equal(seqDiff(a, b), d));
  test('seqLessThan across the wrap', () => {
    assert.equal(seqLessThan(65535, 0), true);
    assert.equal(seqLessThan(0, 65535), false);
    assert.equal(seqLessThan(5, 5), false);
  });
  test('seqAdd wraps', () => {
    assert.equal(seqAdd(65535, 1), 0);
    assert.equal(seqAdd(0, -1), 65535);
  });
  test('timestampDiff wraps at 2^32', () => {
    assert.equal(timestampDiff(0xffffff00, 0x100), 0x200);
    assert.equal(timestampDiff(0x100, 0xffffff00), -0x200);
    assert.equal(timestampDiff(3000, 6000), 3000);
  });
  test('wrapTimestamp of large and negative values', () => {
    assert.equal(wrapTimestamp(2 ** 32 + 5), 5);
    assert.equal(wrapTimestamp(-1), 2 ** 32 - 1);
    assert.equal(wrapTimestamp(1000 * 90), 90000);
  });
});

describe('Sequencer', () => {
  test('injected SSRC and initial sequence; wraps at 65535', () => {
    const s = new Sequencer({ ssrc: 42, initialSequenceNumber: 65535 });
    assert.equal(s.ssrc, 42);
    assert.equal(s.nextSequenceNumber(), 65535);
    assert.equal(s.nextSequenceNumber(), 0);
    assert.equal(s.peek(), 1);
  });
  test('random source is used when nothing is injected', () => {
    const values = [0xdeadbeef, 0x12345];
    const s = new Sequencer({ random: () => values.shift() ?? 0 });
    assert.equal(s.ssrc, 0xdeadbeef);
    assert.equal(s.nextSequenceNumber(), 0x2345);
  });
});
