import type { MetricsCatalog } from '../metrics/catalog';
import type { StateStore } from '../store/state-store';
import { Lease } from './lease';
import { Membership } from './membership';
import { preferredOwner } from './rendezvous';

export type ReleaseReason = 'removed' | 'rebalanced' | 'lost' | 'shutdown';

export interface OwnershipOptions {
  /** Role group: `ingest`, `packetizer`. Leases live under `leases/<group>/<key>`. */
  group: string;
  instanceId: string;
  /** Lease lifetime: a dead owner's resources move after at most this long. Default 10 s. */
  leaseTtlMs?: number;
  /** Heartbeat lifetime. Default 6 s. */
  heartbeatTtlMs?: number;
  /** How often to heartbeat, renew and rebalance; well inside both TTLs. Default 2 s. */
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
 */
export class OwnershipManager {
  private readonly membership: Membership;
  private readonly leases = new Map<string, Lease>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;
  readonly leaseTtlMs: number;
  readonly tickMs: number;
  /** Handovers: leases given up to a preferred owner or lost. */
  handovers = 0;

  constructor(private readonly store: StateStore, private readonly options: OwnershipOptions) {
    this.leaseTtlMs = options.leaseTtlMs ?? 10_000;
    this.tickMs = options.tickMs ?? 2000;
    this.membership = new Membership(store, { group: options.group, instanceId: options.instanceId, ttlMs: options.heartbeatTtlMs ?? 6000 });
  }

  owned(): string[] {
    return [...this.leases.keys()].sort();
  }

  async start(): Promise<void> {
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

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
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
    await this.membership.beat();
    const live = await this.membership.live();
    if (!live.includes(self)) live.push(self);
    const wanted = new Set(await this.options.resources());

    for (const [key, lease] of [...this.leases]) {
      if (!wanted.has(key)) {
        await this.giveUp(key, 'removed', true);
        continue;
      }
      if (!(await lease.renew()) && !(await lease.acquire())) {
        // Someone else holds it now (we were partitioned past the TTL): stop at once.
        await this.giveUp(key, 'lost', false);
        continue;
      }
      const preferred = preferredOwner(key, live);
      if (preferred !== undefined && preferred !== self) await this.giveUp(key, 'rebalanced', true);
    }

    this.options.metrics?.instances.set({ group: this.options.group }, live.length);
    for (const key of wanted) {
      if (this.leases.has(key) || this.stopped) continue;
      if (preferredOwner(key, live) !== self) continue;
      const lease = new Lease(this.store, this.leaseKey(key), self, this.leaseTtlMs);
      if (await lease.acquire()) {
        this.leases.set(key, lease);
        await this.options.onAcquire(key);
      }
    }
    this.options.metrics?.ownedStreams.set({ group: this.options.group }, this.leases.size);
  }
}
