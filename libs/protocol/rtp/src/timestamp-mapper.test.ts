import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { timestampDiff, wrapTimestamp } from './sequence';
import { TimestampMapper } from './timestamp-mapper';

const BASE = 0xfffff000;
const video = (): TimestampMapper => new TimestampMapper({ clockRate: 90000, outputBase: BASE });
const audio = (): TimestampMapper => new TimestampMapper({ clockRate: 48000, outputBase: 5, maxBackwardSeconds: 0, defaultFrameDuration: 1024 });
const rel = (out: readonly number[]): number[] => out.map((t) => timestampDiff(out[0], t));

describe('TimestampMapper', () => {
  test('continuous input keeps its spacing, from the output base, across the 32-bit wrap', () => {
    const m = video();
    const out = [0, 3600, 7200, 10800].map((d, i) => m.map(wrapTimestamp(0xffffe000 + d), i * 40));
    assert.equal(out[0], BASE);
    assert.deepEqual(rel(out), [0, 3600, 7200, 10800]);
    assert.equal(m.jumps, 0);
  });

  test('B-frames: small backward steps in decode order pass through', () => {
    const m = video();
    const pts = [0, 3, 1, 2, 6, 4, 5].map((f) => 1000 + f * 3600);
    assert.deepEqual(rel(pts.map((t, i) => m.map(t, i * 40))), pts.map((t) => t - 1000));
    assert.equal(m.jumps, 0);
    assert.equal(m.frameDuration, 3600);
  });

  test('timestamp jump forward (camera clock reset): continues at previous + one frame', () => {
    const m = video();
    const a = [0, 3600, 7200].map((t, i) => m.map(t, i * 40));
    const b = [900_000_000, 900_003_600].map((t, i) => m.map(t, 120 + i * 40));
    assert.deepEqual(rel([...a, ...b]), [0, 3600, 7200, 10800, 14400]);
    assert.equal(m.jumps, 1);
  });

  test('timestamp jump backward beyond the reorder range: output never goes backwards', () => {
    const m = video();
    const out = [5_000_000, 5_003_600, 100, 3700].map((t, i) => m.map(t, i * 40));
    assert.deepEqual(rel(out), [0, 3600, 7200, 10800]);
  });

  test('audio: any backward step is a jump', () => {
    const m = audio();
    const out = [10240, 11264, 10240, 11264].map((t, i) => m.map(t, i * 21));
    assert.deepEqual(rel(out), [0, 1024, 2048, 3072]);
  });

  test('reanchor() after a gap continues by the wall time elapsed (keeps tracks aligned)', () => {
    const m = audio();
    m.map(0, 0);
    m.map(1024, 21);
    m.reanchor();
    const out = m.map(777_777, 2021);
    assert.equal(timestampDiff(wrapTimestamp(5 + 1024), out), 96000);
    assert.equal(m.jumps, 0);
  });

  test('property: output steps stay within the sane range whatever the input', () => {
    fc.assert(fc.property(fc.array(fc.nat({ max: 0xffffffff }), { minLength: 2, maxLength: 100 }), (inputs) => {
      const m = audio();
      const out = inputs.map((t, i) => m.map(t, i * 20));
      for (let i = 1; i < out.length; i++) {
        const d = timestampDiff(out[i - 1], out[i]);
        assert.ok(d >= 0 && d <= 10 * 48000, `step ${d}`);
      }
    }), { seed: 42, numRuns: 500 });
  });
});
