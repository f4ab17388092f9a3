import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SourceSelection } from './source-selection';

test('one source: every failure retries it after the backoff (the single-url behaviour)', () => {
  const s = new SourceSelection({ sources: 1, switchBackAfterMs: 10_000 });
  for (let i = 0; i < 5; i++) assert.deepEqual(s.failed(), { source: 0, wait: true });
  assert.equal(s.switches, 0);
  assert.equal(s.probingPrimary, false);
});

test('primary fails → the backup at once; backup fails too → the primary after the backoff', () => {
  const s = new SourceSelection({ sources: 2, switchBackAfterMs: 10_000 });
  s.playing();
  assert.deepEqual(s.failed(), { source: 1, wait: false });
  assert.equal(s.probingPrimary, true);
  assert.deepEqual(s.failed(), { source: 0, wait: true });
  assert.equal(s.switches, 2);
});

test('the primary returns only after being healthy for switchBackAfterMs without a break', () => {
  const s = new SourceSelection({ sources: 3, switchBackAfterMs: 5000 });
  s.failed();
  s.playing();
  s.primaryHealthy(1000);
  s.primaryHealthy(4000);
  assert.equal(s.shouldReturnToPrimary(5999), false);
  s.primaryUnhealthy();
  s.primaryHealthy(6000);
  assert.equal(s.shouldReturnToPrimary(10_999), false);
  assert.equal(s.shouldReturnToPrimary(11_000), true);
  s.returnToPrimary();
  assert.equal(s.active, 0);
  assert.equal(s.switches, 2);
  assert.equal(s.shouldReturnToPrimary(100_000), false);
});

type Event =
  | { kind: 'failed' }
  | { kind: 'playing' }
  | { kind: 'healthy' }
  | { kind: 'unhealthy' }
  | { kind: 'return' };

const event: fc.Arbitrary<Event> = fc.oneof(
  fc.constant({ kind: 'failed' as const }),
  fc.constant({ kind: 'playing' as const }),
  fc.constant({ kind: 'healthy' as const }),
  fc.constant({ kind: 'unhealthy' as const }),
  fc.constant({ kind: 'return' as const }),
);

test('property: the selection state machine keeps its invariants for any event sequence', () => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 5 }),
    fc.integer({ min: 0, max: 3000 }),
    fc.array(fc.tuple(event, fc.integer({ min: 0, max: 2000 })), { maxLength: 200 }),
    (n, switchBackAfterMs, events) => {
      const s = new SourceSelection({ sources: n, switchBackAfterMs });
      let now = 0;
      let changes = 0;
      let inRow = 0;
      // Model of the primary's health clock: reset by a change of source and by a failed probe.
      let healthySince: number | undefined;
      for (const [e, dt] of events) {
        now += dt;
        const before = s.active;
        switch (e.kind) {
          case 'failed': {
            inRow++;
            const next = s.failed();
            assert.equal(next.source, (before + 1) % n, 'the next source in order, wrapping');
            // Waits exactly when every source failed in a row since media last flowed.
            assert.equal(next.wait, inRow % n === 0);
            if (next.wait) inRow = 0;
            if (n > 1) assert.notEqual(s.active, before, 'a failure moves to another source');
            break;
          }
          case 'playing':
            s.playing();
            inRow = 0;
            break;
          case 'healthy':
            s.primaryHealthy(now);
            if (before !== 0) healthySince ??= now;
            break;
          case 'unhealthy':
            s.primaryUnhealthy();
            healthySince = undefined;
            break;
          case 'return': {
            const allowed = before !== 0 && healthySince !== undefined && now - healthySince >= switchBackAfterMs;
            assert.equal(s.shouldReturnToPrimary(now), allowed, 'returns only after the primary was healthy long enough');
            if (allowed) {
              s.returnToPrimary();
              inRow = 0;
              assert.equal(s.active, 0);
            }
            break;
          }
        }
        if (s.active !== before) {
          changes++;
          healthySince = undefined;
        }
        assert.ok(s.active >= 0 && s.active < n);
        assert.equal(s.switches, changes, 'switches counts every change of the active source');
        assert.equal(s.probingPrimary, s.active !== 0);
      }
    },
  ), { numRuns: 500 });
});

test('bad options are refused with the value named', () => {
  assert.throws(() => new SourceSelection({ sources: 0, switchBackAfterMs: 0 }), /sources must be a positive integer, got 0/);
  assert.throws(() => new SourceSelection({ sources: 2, switchBackAfterMs: Number.NaN }), /switchBackAfterMs/);
});
