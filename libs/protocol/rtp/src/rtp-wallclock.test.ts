import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { timestampDiff } from './sequence';
import { RtpWallClock } from './rtp-wallclock';

test('sender-report mapping does not move with arrival jitter (ffmpeg "Non-monotonous DTS" symptom)', () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 50, maxLength: 200 }), fc.nat(0xffffffff), (jitters, base) => {
    // Never settled: the least-delayed unit of the whole run anchors it (see the slew test).
    const clock = new RtpWallClock({ clockRate: 48000, decayMsPerSecond: 0, settleMs: Infinity });
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

test('settled, a less-delayed source moves the mapping by at most slewMsPerSecond (ffmpeg shifts its timestamps by every move)', () => {
  // A source that came back: its first units arrived 60 ms later than the ones after them.
  const clock = new RtpWallClock({ clockRate: 48000, decayMsPerSecond: 0 });
  const start = 1_700_000_000_000;
  const frameMs = 1024 / 48;
  let i = 0;
  const feed = (untilMs: number, delayMs: number): void => {
    for (; i * frameMs < untilMs; i++) clock.observe((i * 1024) >>> 0, start + i * frameMs + delayMs);
  };
  feed(10_000, 60);
  const before = clock.rtpAt(start + 10_000) ?? NaN;
  // Sender reports 5 s apart: the mapping never moves more than 10 ms (2 ms/s) between two.
  let previous = before;
  for (let t = 15_000; t <= 60_000; t += 5000) {
    feed(t, 0);
    const now = clock.rtpAt(start + t) ?? NaN;
    const movedMs = (timestampDiff(previous, now) - 5000 * 48) / 48;
    assert.ok(movedMs >= 0 && movedMs <= 10 + 0.05, `moved ${movedMs} ms in 5 s`);
    previous = now;
  }
  const movedMs = (timestampDiff(before, clock.rtpAt(start + 10_000) ?? NaN)) / 48;
  assert.ok(movedMs > 59 && movedMs <= 60.05, `and it reached the less-delayed mapping (${movedMs} ms of 60)`);
});

test('within settleMs of anchoring, the least-delayed unit moves the mapping at once', () => {
  const clock = new RtpWallClock({ clockRate: 90000, decayMsPerSecond: 0 });
  clock.observe(0, 1000 + 80);
  clock.observe(3600, 1040 + 10);
  assert.equal(clock.rtpAt(1040 + 10), 3600);
});

test('a mapping a report has used only slews, even within settleMs: a reader of a stream\'s first seconds keeps monotonic audio', () => {
  const clock = new RtpWallClock({ clockRate: 48000, decayMsPerSecond: 0 });
  const start = 1_700_000_000_000;
  // The stream's first units came 30 ms late (a source starting under load); a reader joins at once.
  clock.observe(0, start + 30);
  const reported = clock.rtpForReport(start + 30) ?? NaN;
  for (let i = 1; i * 1024 < 48000; i++) clock.observe(i * 1024, start + (i * 1024) / 48);
  // 1 s later, within settleMs: moved by the slew (2 ms/s), not the 30 ms a free jump would take.
  const movedMs = (timestampDiff(reported, clock.rtpAt(start + 30) ?? NaN)) / 48;
  assert.ok(movedMs >= 0 && movedMs <= 2.05, `moved ${movedMs} ms in 1 s`);
  // Before any report the same units move it at once (the within-settleMs test above).
  const unreported = new RtpWallClock({ clockRate: 48000, decayMsPerSecond: 0 });
  unreported.observe(0, start + 30);
  for (let i = 1; i * 1024 < 48000; i++) unreported.observe(i * 1024, start + (i * 1024) / 48);
  assert.ok(Math.abs(timestampDiff(reported, unreported.rtpAt(start + 30) ?? NaN) / 48 - 30) < 0.05);
});
