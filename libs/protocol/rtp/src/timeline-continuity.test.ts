import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RtpWallClock } from './rtp-wallclock';
import { timestampDiff } from './sequence';
import { REBASE_MARGIN_MS, TimelineContinuity } from './timeline-continuity';

test('passes timestamps through until the first rebase; a new source lands where the sender-report mapping puts its arrival', () => {
  const t = new TimelineContinuity(90000);
  // The same mapping egress keeps for its sender reports, fed the same units.
  const sr = new RtpWallClock({ clockRate: 90000 });
  const feed = (source: number, at: number): number => {
    const out = t.map(source, at);
    sr.observe(out, at);
    return out;
  };
  assert.equal(feed(1000, 10_000), 1000);
  assert.equal(feed(4600, 10_040), 4600);
  t.rebase();
  // A new source 5 s later starting from its own clock.
  const first = feed(123, 15_040);
  assert.equal(first, sr.rtpAt(15_040 - REBASE_MARGIN_MS), 'placed by the mapping readers sync on, less the margin');
  assert.ok(Math.abs(timestampDiff(4600 + (5000 - REBASE_MARGIN_MS) * 90, first)) <= 90 * 6, 'about 5 s after the last unit');
  const before = sr.rtpAt(15_040);
  assert.equal(sr.rtpAt(15_040), before, 'and that mapping did not move');
  assert.equal(feed(123 + 3600, 15_080), (first + 3600) >>> 0, 'the new source keeps its own spacing');
});

test('B-frames and wrap: the new source starts after the largest timestamp sent', () => {
  const t = new TimelineContinuity(90000);
  t.map(0xffffff00, 0);
  t.map((0xffffff00 + 10800) >>> 0, 40); // P, past 2^32
  t.map((0xffffff00 + 3600) >>> 0, 80); // B, earlier pts
  t.rebase();
  const out = t.map(7, 80); // back at once: still after the P
  assert.ok(timestampDiff((0xffffff00 + 10800) >>> 0, out) > 0);
});

test('property: after any rebase the output never goes back and keeps the new source spacing', () => {
  fc.assert(fc.property(
    fc.array(fc.record({ start: fc.integer({ min: 0, max: 0xffffffff }), count: fc.integer({ min: 1, max: 20 }), gapMs: fc.integer({ min: 0, max: 60_000 }) }), { minLength: 1, maxLength: 6 }),
    (sources) => {
      const t = new TimelineContinuity(48000);
      let now = 1_700_000_000_000;
      let last: number | undefined;
      for (const s of sources) {
        now += s.gapMs;
        t.rebase();
        let first: number | undefined;
        for (let i = 0; i < s.count; i++) {
          const out = t.map((s.start + i * 1024) >>> 0, now + i * 21);
          if (last !== undefined) assert.ok(timestampDiff(last, out) > 0, 'continues forward');
          if (first === undefined) first = out;
          else assert.equal(timestampDiff(first, out), i * 1024);
          last = out;
        }
        now += s.count * 21;
      }
    },
  ));
});

test('resume: a timeline continued in another process from its position goes on where the first one would', () => {
  const first = new TimelineContinuity(90000);
  for (let i = 0; i <= 50; i++) first.map((777 + i * 3600) >>> 0, 10_000 + i * 40);
  const position = first.position(12_000);
  assert.ok(position);
  assert.equal(position.newest, (777 + 50 * 3600) >>> 0);
  // The process dies at 12.3 s; the next one sees its first unit (its own clock) at 14.5 s.
  const next = new TimelineContinuity(90000);
  next.resume(position);
  const out = next.map(5, 14_500);
  const expected = first.position(14_500 - REBASE_MARGIN_MS)?.rtpTimestamp ?? NaN;
  assert.ok(Math.abs(timestampDiff(expected, out)) <= 1, `placed where the first timeline puts its arrival, less the margin (${out} vs ${expected})`);
  assert.ok(timestampDiff(position.newest, out) > 0, 'after everything the first one sent');
  assert.equal(next.map(5 + 3600, 14_540), (out + 3600) >>> 0, 'the new source keeps its own spacing');
  // 3 s on the handed-over mapping (it decays 1 ms per second to follow a slow source clock).
  assert.ok(Math.abs(timestampDiff((position.rtpTimestamp + 2997 * 90) >>> 0, next.position(15_000)?.rtpTimestamp ?? NaN)) <= 1, 'the mapping is the one handed over');
});

test('resume is ignored once the timeline has units of its own', () => {
  const t = new TimelineContinuity(90000);
  assert.equal(t.position(0), undefined, 'no position before a unit');
  t.map(1000, 10_000);
  t.resume({ rtpTimestamp: 5_000_000, atMs: 10_000, newest: 5_000_000 });
  assert.equal(t.map(4600, 10_040), 4600);
});
