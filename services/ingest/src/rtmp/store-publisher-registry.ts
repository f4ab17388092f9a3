import { LEASE_TIMING, Lease, Logger, StateStore } from '@streamgate/platform';
import { SourceGenerations } from '../source-generations';
import type { PublisherRegistry } from './publisher-registry';

export interface StorePublisherRegistryOptions {
  /** Lease lifetime; a crashed instance's keys free up after at most this long. Default LEASE_TIMING.ttlMs. */
  leaseTtlMs?: number;
  /** Renewal period, well inside the TTL. Default LEASE_TIMING.renewMs (TTL / 4 with a custom TTL). */
  renewMs?: number;
  logger?: Logger;
  /** Called when another instance holds the key now (not when the store is merely unreachable or lost it). */
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
  private readonly generations: SourceGenerations;

  constructor(private readonly store: StateStore, private readonly options: StorePublisherRegistryOptions = {}) {
    this.ttlMs = options.leaseTtlMs ?? LEASE_TIMING.ttlMs;
    this.renewMs = options.renewMs ?? (options.leaseTtlMs === undefined ? LEASE_TIMING.renewMs : Math.floor(this.ttlMs / 4));
    this.generations = new SourceGenerations(store);
  }

  async claim(stream: string, owner: string): Promise<boolean> {
    const current = this.held.get(stream);
    if (current) return current.lease.owner === owner;
    const lease = new Lease(this.store, `leases/rtmp/${stream}`, owner, this.ttlMs);
    if (!(await lease.acquire())) return false;
    const timer = setInterval(() => {
      // keep(): a key that vanished with the store's data is re-taken, not a reason to kick.
      lease.keep().then((ok) => {
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
    return this.generations.next(stream);
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
