import type { StateStore } from '../store/state-store';

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

  release(): Promise<boolean> {
    return this.store.delete(this.key, { ifValue: this.owner });
  }

  async holder(): Promise<string | undefined> {
    return this.store.get(this.key);
  }
}
