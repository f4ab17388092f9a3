import type { MetricsCatalog } from '../metrics/catalog';
import type { StateStore } from '../store/state-store';
import { LEASE_TIMING, Lease } from './lease';
import { Membership } from './membership';
import { preferredOwner } from './rendezvous';

export const RELEASE_REASONS = ['removed', 'rebalanced', 'lost', 'shutdown'] as const;
export type ReleaseReason = (typeof RELEASE_REASONS)[number];

export interface OwnershipOptions {
  /** Role group: `ingest`, `packetizer`. Leases live under `leases/<group>/<key>`. */
  group: string;
  instanceId: string;
  /** Lease lifetime: a dead owner's resources move after at most this long. Default LEASE_TIMING.ttlMs. */
  leaseTtlMs?: number;
  /** Heartbeat lifetime. Default LEASE_TIMING.heartbeatTtlMs. */
  heartbeatTtlMs?: number;
  /** How often to heartbeat, renew and rebalance; well inside both TTLs. Default LEASE_TIMING.renewMs. */
  tickMs?: number;
  /** The resources to share out (e.g. the enabled cameras). */
  resources: () => Promise<string[]>;
  onAcquire: (key: string) => void | Promise<void>;
  onRelease: (key: string, reason: ReleaseReason) => void | Promise<void>;
  onError?: (err: unknown) => void;
  /** Metrics: after each round, how many instances are live and how much this one owns. */
  metrics?: MetricsCatalog;
}

/**
 * Shares resources among the live instances of a group: each resource's preferred owner is
 * chosen by rendezvous hashing over live instances and held through a lease, so a resource
 * is never owned twice, a new instance takes its share, and a dead one's resources are
 * taken over once its heartbeat and lease expire.
 *
 * The store holds soft state only. When it comes back empty (restarted without data), every
 * holder re-takes what it held (`Lease.keep`), and for one heartbeat lifetime nobody takes
 * anything new: until every instance has beaten again, each sees too few live instances and
 * would grab resources that others are still serving.
 */
export class OwnershipManager {
  private readonly membership: Membership;
  private readonly leases = new Map<string, Lease>();
  private timer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;
  private joinedOnce = false;
  /** After the store lost our heartbeat: no new acquisitions before this time. */
  private settleUntil = 0;
  readonly leaseTtlMs: number;
  readonly tickMs: number;
  /** Handovers: leases given up to a preferred owner or lost. */
  handovers = 0;

  constructor(private readonly store: StateStore, private readonly options: OwnershipOptions) {
    this.leaseTtlMs = options.leaseTtlMs ?? LEASE_TIMING.ttlMs;
    this.tickMs = options.tickMs ?? LEASE_TIMING.renewMs;
    this.membership = new Membership(store, { group: options.group, instanceId: options.instanceId, ttlMs: options.heartbeatTtlMs ?? LEASE_TIMING.heartbeatTtlMs });
  }

  owned(): string[] {
    return [...this.leases.keys()].sort();
  }

  async start(): Promise<void> {
    // Every handover reason is exposed from the start: 0 until it happens.
    for (const reason of RELEASE_REASONS) this.options.metrics?.leaseHandovers.inc({ group: this.options.group, reason }, 0);
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.tickMs);
    this.timer.unref();
  }

  /** One round: heartbeat, renew, give up what moved, take what is ours. Never overlaps itself. */
  tick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.ticking ??= this.round().catch((err: unknown) => this.options.onError?.(err)).finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  private retrySoon(): void {
    if (this.retryTimer || !this.timer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.tick();
    }, Math.min(100, this.tickMs / 2));
    this.retryTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.ticking;
    for (const [key, lease] of this.leases) {
      this.leases.delete(key);
      await this.options.onRelease(key, 'shutdown');
      await lease.release().catch((err: unknown) => this.options.onError?.(err));
    }
    await this.membership.leave().catch((err: unknown) => this.options.onError?.(err));
  }

  private leaseKey(key: string): string {
    return `leases/${this.options.group}/${key}`;
  }

  private async giveUp(key: string, reason: ReleaseReason, release: boolean): Promise<void> {
    const lease = this.leases.get(key);
    this.leases.delete(key);
    if (reason === 'rebalanced' || reason === 'lost') {
      this.handovers++;
      this.options.metrics?.leaseHandovers.inc({ group: this.options.group, reason });
    }
    await this.options.onRelease(key, reason);
    if (release && lease) await lease.release();
  }

  private async round(): Promise<void> {
    const self = this.options.instanceId;
    if ((await this.membership.beat()) === 'joined') {
      if (this.joinedOnce) this.settleUntil = Date.now() + this.membership.ttlMs;
      this.joinedOnce = true;
    }
    const live = await this.membership.live();
    if (!live.includes(self)) live.push(self);
    const wanted = new Set(await this.options.resources());

    const held = [...this.leases];
    // Renewals go out together: one round trip per round, not one per lease.
    const kept = await Promise.all(held.map(([key, lease]) => (wanted.has(key) ? lease.keep() : Promise.resolve(true))));
    for (const [i, [key]] of held.entries()) {
      if (!wanted.has(key)) {
        await this.giveUp(key, 'removed', true);
        continue;
      }
      if (!kept[i]) {
        // Someone else holds it now (we were cut off past the TTL): stop at once.
        await this.giveUp(key, 'lost', false);
        continue;
      }
      const preferred = preferredOwner(key, live);
      if (preferred !== undefined && preferred !== self) await this.giveUp(key, 'rebalanced', true);
    }

    this.options.metrics?.instances.set({ group: this.options.group }, live.length);
    let waiting = 0;
    if (Date.now() >= this.settleUntil) {
      for (const key of wanted) {
        if (this.leases.has(key) || this.stopped) continue;
        if (preferredOwner(key, live) !== self) continue;
        const lease = new Lease(this.store, this.leaseKey(key), self, this.leaseTtlMs);
        if (await lease.acquire()) {
          this.leases.set(key, lease);
          await this.options.onAcquire(key);
        } else {
          waiting++;
        }
      }
    }
    // Ours by rendezvous but still leased elsewhere (a dead owner's lease about to expire, or a
    // previous owner about to hand over): look again soon rather than a whole round later.
    if (waiting > 0) this.retrySoon();
    this.options.metrics?.ownedStreams.set({ group: this.options.group }, this.leases.size);
  }
}
