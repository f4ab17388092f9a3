import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { timestampDiff } from './sequence';
import { RtpWallClock } from './rtp-wallclock';

test('sender-report mapping does not move with arrival jitter (ffmpeg "Non-monotonous DTS" symptom)', () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 50, maxLength: 200 }), fc.nat(0xffffffff), (jitters, base) => {
    const clock = new RtpWallClock({ clockRate: 48000, decayMsPerSecond: 0 });
    const start = 1_700_000_000_000;
    jitters.forEach((j, i) => clock.observe((base + i * 1024) >>> 0, start + (i * 1024 * 1000) / 48000 + j));
    const minJitter = Math.min(...jitters);
    // The mapping is the least-delayed unit's: evaluating it at a later time extrapolates exactly.
    const now = start + 10_000;
    const expected = Math.round(((now - minJitter - start) * 48000) / 1000);
    const got = timestampDiff(base >>> 0, clock.rtpAt(now) ?? 0);
    assert.ok(Math.abs(got - expected) <= 1, `${got} vs ${expected}`);
  }));
});

test('two sender reports a second apart differ by exactly one second of RTP clock', () => {
  const clock = new RtpWallClock({ clockRate: 90000 });
  for (let i = 0; i < 100; i++) clock.observe((0xfffff000 + i * 3600) >>> 0, 1000 + i * 40 + (i % 7) * 3);
  const a = clock.rtpAt(10_000) ?? 0;
  const b = clock.rtpAt(11_000) ?? 0;
  assert.ok(Math.abs(timestampDiff(a, b) - 90000) <= 90, 'decay ≤ 1 ms per second');
});

test('a timeline jump re-anchors', () => {
  const clock = new RtpWallClock({ clockRate: 90000 });
  clock.observe(0, 0);
  clock.observe(3600, 40);
  clock.observe(900000000, 80);
  assert.equal(clock.rtpAt(80), 900000000);
  assert.equal(new RtpWallClock({ clockRate: 90000 }).rtpAt(5), undefined);
});
