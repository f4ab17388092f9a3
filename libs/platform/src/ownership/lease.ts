import type { StateStore } from '../store/state-store';

/**
 * Lease timing shared by every holder (camera and stream ownership, RTMP publishers). A dead
 * holder is replaced within `ttlMs` plus one round: the failover budget is "detected within
 * 2 s" (issue 13). Renewals run every `renewMs`, so a holder has to stall for
 * `ttlMs - renewMs` (1.5 s) before it can lose a lease it still wants.
 */
export const LEASE_TIMING = { ttlMs: 2000, renewMs: 500, heartbeatTtlMs: 2000 } as const;

/**
 * A lease on one resource: `SET key owner NX PX ttl` to take it, compare-and-renew to keep it,
 * compare-and-delete to release it, so only the holder can renew or release.
 */
export class Lease {
  constructor(private readonly store: StateStore, readonly key: string, readonly owner: string, readonly ttlMs: number) {}

  async acquire(): Promise<boolean> {
    if (await this.store.set(this.key, this.owner, { onlyIfAbsent: true, ttlMs: this.ttlMs })) return true;
    // Re-taking our own lease (after a restart of the store with persistence, say) is fine.
    return (await this.store.get(this.key)) === this.owner && this.renew();
  }

  renew(): Promise<boolean> {
    return this.store.expire(this.key, this.ttlMs, { ifValue: this.owner });
  }

  /**
   * What a holder calls on every round: renew, or, when the key vanished (the store restarted
   * without its data, or the key expired during a store outage) and nobody else took it,
   * take it again. False only when someone else holds it now: the holder must stop.
   * A store that cannot be reached rejects; that is not a reason to stop either.
   */
  async keep(): Promise<boolean> {
    return (await this.renew()) || this.acquire();
  }

  release(): Promise<boolean> {
    return this.store.delete(this.key, { ifValue: this.owner });
  }

  async holder(): Promise<string | undefined> {
    return this.store.get(this.key);
  }
}
