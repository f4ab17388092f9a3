import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { ReadTurn } from './read-turn';

/** A ReadTurn on a clock and a check phase the test moves by hand. */
function turnOn(budgetMs: number, coalesceMs = 0) {
  let now = 0;
  const checks: (() => void)[] = [];
  const waits: number[] = [];
  const turn = new ReadTurn(budgetMs, () => now, (fn) => checks.push(fn), (ms) => {
    waits.push(ms);
    now += ms;
  });
  turn.coalesceMs = coalesceMs;
  return {
    turn,
    /** The coalescing waits so far, ms. */
    waits,
    advance: (ms: number) => (now += ms),
    /** The loop reaches its check phase: what was scheduled runs (what that schedules waits for the next). */
    check: () => checks.splice(0).forEach((fn) => fn()),
    scheduled: () => checks.length,
    /** A turn opens and `ms` of reads pass: its budget is spent. */
    spend: (ms: number) => {
      turn.overBudget();
      now += ms;
      assert.equal(turn.overBudget(), true, `spent after ${ms} ms of a ${budgetMs} ms budget`);
    },
  };
}

describe('ReadTurn (a read budget per event-loop turn)', () => {
  test('reads within the budget go through; one end of turn is scheduled per turn', () => {
    const t = turnOn(20);
    assert.equal(t.turn.overBudget(), false);
    t.advance(19);
    assert.equal(t.turn.overBudget(), false);
    assert.equal(t.scheduled(), 1);
    t.check();
    assert.equal(t.scheduled(), 0, 'nothing deferred: no turn is opened for nothing (no busy loop)');
    t.advance(100);
    assert.equal(t.turn.overBudget(), false, 'a new turn has its own budget');
  });

  test('past the budget reads are deferred, handled in order at the end of the turn within the next budget; the rest waits another turn', () => {
    const t = turnOn(20);
    t.spend(25);
    const ran: string[] = [];
    for (const name of ['a', 'b', 'c', 'd']) t.turn.defer(() => {
      ran.push(name);
      t.advance(12);
    });
    assert.equal(t.turn.deferred, 4);
    t.check();
    // a (12 ms), b (24 ms: over) ran; c and d wait for the next turn.
    assert.deepEqual(ran, ['a', 'b']);
    assert.equal(t.turn.deferred, 2);
    assert.equal(t.scheduled(), 1, 'the next end of turn is scheduled');
    // A read in the poll phase between: the turn opened by the deferred work is spent.
    assert.equal(t.turn.overBudget(), true);
    t.turn.defer(() => ran.push('e'));
    t.check();
    // c and d (24 ms), in the order they were deferred; e is past that turn's budget.
    assert.deepEqual(ran, ['a', 'b', 'c', 'd']);
    t.check();
    assert.deepEqual(ran, ['a', 'b', 'c', 'd', 'e']);
    assert.equal(t.turn.deferred, 0);
  });

  test('the first deferred read always runs, even when it alone exceeds the budget (progress)', () => {
    const t = turnOn(5);
    t.spend(10);
    const ran: number[] = [];
    t.turn.defer(() => {
      ran.push(1);
      t.advance(50);
    });
    t.turn.defer(() => ran.push(2));
    t.check();
    assert.deepEqual(ran, [1]);
    t.check();
    assert.deepEqual(ran, [1, 2]);
  });

  test('read coalescing: a short turn that read waits out the rest of coalesceMs before the next poll; a long one, or none, does not', () => {
    const t = turnOn(20, 3);
    t.turn.open();
    t.advance(1);
    assert.equal(t.turn.overBudget(), false);
    t.check();
    assert.deepEqual(t.waits, [2], 'a 1 ms turn waits 2 ms more');
    assert.deepEqual([t.turn.turns, t.turn.coalesced], [1, 1]);
    // A busy turn (reads took 5 ms): already longer than coalesceMs, no wait.
    t.turn.open();
    t.advance(5);
    t.check();
    assert.deepEqual(t.waits, [2]);
    assert.deepEqual([t.turn.turns, t.turn.coalesced], [2, 1]);
    // No read: no turn, nothing scheduled, no wait (an idle process sleeps in its poll).
    t.check();
    assert.equal(t.scheduled(), 0);
    assert.deepEqual(t.waits, [2]);
    // Off (0): never waits.
    const off = turnOn(20, 0);
    off.turn.open();
    off.check();
    assert.deepEqual(off.waits, []);
  });

  test('read coalescing on the real loop: the turn ends no sooner than coalesceMs after its first read', async () => {
    const turn = new ReadTurn();
    turn.coalesceMs = 8;
    const start = performance.now();
    turn.open();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const took = performance.now() - start;
    assert.ok(took >= 7.5, `turn took ${took.toFixed(2)} ms`);
  });
});
