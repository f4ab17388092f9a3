import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { BruteForceLimiter } from './brute-force-limiter';

describe('BruteForceLimiter', () => {
  const limits = { freeFailures: 3, baseDelayMs: 100, maxDelayMs: 1000, forgetAfterMs: 60_000, maxAddresses: 3 };

  it('free failures cost nothing; then the wait doubles per failure up to the cap; other addresses are not slowed', () => {
    const l = new BruteForceLimiter(limits);
    let t = 0;
    for (let i = 0; i < 3; i++) l.failed('a', t);
    assert.equal(l.delayMs('a', t), 0);
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      t += l.delayMs('a', t);
      l.failed('a', t);
      waits.push(l.delayMs('a', t));
    }
    assert.deepEqual(waits, [100, 200, 400, 800, 1000, 1000]);
    assert.equal(l.delayMs('b', t), 0);
  });

  it('parallel failures share one schedule (bounded at twice the cap) and the address is forgotten later', () => {
    const l = new BruteForceLimiter(limits);
    for (let i = 0; i < 20; i++) l.failed('a', 0);
    assert.equal(l.delayMs('a', 0), 2000);
    assert.equal(l.delayMs('a', 61_000), 0);
  });

  it('tracks at most maxAddresses addresses', () => {
    const l = new BruteForceLimiter(limits);
    for (const a of ['a', 'b', 'c', 'd', 'e']) l.failed(a, 0);
    assert.equal(l.trackedAddresses, 3);
  });
});
