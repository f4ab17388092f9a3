import { Lease, Logger, StateStore } from '@streamgate/platform';
import type { PublisherRegistry } from './publisher-registry';

export interface StorePublisherRegistryOptions {
  /** Lease lifetime; a crashed instance's keys free up after at most this long. Default 10 s. */
  leaseTtlMs?: number;
  /** Renewal period, well inside the TTL. Default TTL / 3. */
  renewMs?: number;
  logger?: Logger;
  /** Called when a held lease could not be renewed (another instance took the key). */
  onLost?: (stream: string) => void;
}

/**
 * Publishers claim their stream key through a lease in the shared store (`leases/rtmp/<key>`),
 * so across every ingest instance a key has one publisher; a second publisher anywhere is
 * refused. Over the memory store this is the single-process case.
 */
export class StorePublisherRegistry implements PublisherRegistry {
  private readonly held = new Map<string, { lease: Lease; timer: NodeJS.Timeout }>();
  private readonly ttlMs: number;
  private readonly renewMs: number;

  constructor(private readonly store: StateStore, private readonly options: StorePublisherRegistryOptions = {}) {
    this.ttlMs = options.leaseTtlMs ?? 10_000;
    this.renewMs = options.renewMs ?? Math.floor(this.ttlMs / 3);
  }

  async claim(stream: string, owner: string): Promise<boolean> {
    const current = this.held.get(stream);
    if (current) return current.lease.owner === owner;
    const lease = new Lease(this.store, `leases/rtmp/${stream}`, owner, this.ttlMs);
    if (!(await lease.acquire())) return false;
    const timer = setInterval(() => {
      lease.renew().then((ok) => {
        if (ok || this.held.get(stream)?.lease !== lease) return;
        this.stopRenewing(stream);
        this.options.logger?.warn({ stream }, 'RTMP publisher lease lost');
        this.options.onLost?.(stream);
      }, (err: unknown) => this.options.logger?.warn({ err, stream }, 'RTMP publisher lease renewal failed'));
    }, this.renewMs);
    timer.unref();
    this.held.set(stream, { lease, timer });
    return true;
  }

  async release(stream: string, owner: string): Promise<void> {
    const current = this.held.get(stream);
    if (!current || current.lease.owner !== owner) return;
    this.stopRenewing(stream);
    await current.lease.release();
  }

  async nextGeneration(stream: string): Promise<number> {
    // Only the lease holder publishes, so read-then-write does not race.
    const key = `generations/${stream}`;
    const next = Number((await this.store.get(key)) ?? 0) + 1;
    await this.store.set(key, String(next));
    return next;
  }

  /** Releases every lease (clean shutdown). */
  async releaseAll(): Promise<void> {
    for (const [stream, { lease }] of [...this.held]) {
      this.stopRenewing(stream);
      await lease.release();
    }
  }

  private stopRenewing(stream: string): void {
    const current = this.held.get(stream);
    if (current) clearInterval(current.timer);
    this.held.delete(stream);
  }
}
