/**
 * Per-address brute-force brake: after `freeFailures` failed authentications from one address,
 * every later request from it waits, the wait doubling with each failure up to `maxDelayMs`.
 * Parallel attempts do not escape it: the wait is counted from the latest failure, so N
 * connections from one address share one schedule. Addresses are forgotten `forgetAfterMs`
 * after their last failure; at most `maxAddresses` are tracked (the oldest forgotten first),
 * so the table is bounded whatever the number of attackers.
 */
export interface BruteForceLimiterOptions {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  forgetAfterMs: number;
  maxAddresses: number;
}

export const DEFAULT_BRUTE_FORCE_LIMITS: BruteForceLimiterOptions = {
  freeFailures: 5,
  baseDelayMs: 100,
  maxDelayMs: 5000,
  forgetAfterMs: 10 * 60_000,
  maxAddresses: 10_000,
};

interface Entry {
  failures: number;
  lastFailureMs: number;
  /** No request from this address is answered before this time. */
  notBeforeMs: number;
}

export class BruteForceLimiter {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: BruteForceLimiterOptions = DEFAULT_BRUTE_FORCE_LIMITS) {}

  get trackedAddresses(): number {
    return this.entries.size;
  }

  /** How long a request from `address` must wait before it is looked at. */
  delayMs(address: string, nowMs: number): number {
    const e = this.current(address, nowMs);
    return e ? Math.max(0, e.notBeforeMs - nowMs) : 0;
  }

  failed(address: string, nowMs: number): void {
    const e = this.current(address, nowMs) ?? { failures: 0, lastFailureMs: nowMs, notBeforeMs: 0 };
    e.failures++;
    e.lastFailureMs = nowMs;
    const over = e.failures - this.options.freeFailures;
    if (over > 0) {
      const delay = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** Math.min(over - 1, 30));
      e.notBeforeMs = Math.max(nowMs, e.notBeforeMs) + delay;
      // A queue of parallel attempts must not push the wait past the cap by much.
      e.notBeforeMs = Math.min(e.notBeforeMs, nowMs + 2 * this.options.maxDelayMs);
    }
    this.entries.delete(address);
    this.entries.set(address, e);
    while (this.entries.size > this.options.maxAddresses) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
  }

  private current(address: string, nowMs: number): Entry | undefined {
    const e = this.entries.get(address);
    if (e && nowMs - e.lastFailureMs > this.options.forgetAfterMs) {
      this.entries.delete(address);
      return undefined;
    }
    return e;
  }
}
