import type { StateStore } from '../store/state-store';
import { LEASE_TIMING } from './lease';

export interface MembershipOptions {
  /** Role group, e.g. `ingest` or `packetizer`. */
  group: string;
  instanceId: string;
  /** Heartbeat lifetime; an instance silent for this long is dead. Default LEASE_TIMING.heartbeatTtlMs. */
  ttlMs?: number;
}

/** What a heartbeat found: our key was still there, or it had to be written anew. */
export type BeatResult = 'continued' | 'joined';

/**
 * Instance heartbeats under `instances/<group>/<id>` with a TTL. `beat()` is called on a
 * timer by the owner of this object; `live()` lists the instances whose heartbeat is fresh.
 */
export class Membership {
  readonly ttlMs: number;
  private readonly since = Date.now();

  constructor(private readonly store: StateStore, readonly options: MembershipOptions) {
    this.ttlMs = options.ttlMs ?? LEASE_TIMING.heartbeatTtlMs;
  }

  private key(id = this.options.instanceId): string {
    return `instances/${this.options.group}/${id}`;
  }

  /**
   * Extends our heartbeat, or writes it when it is missing: at start, and after the store lost
   * it (restarted without data, or we were silent past the TTL). `joined` tells the caller which.
   */
  async beat(): Promise<BeatResult> {
    if (await this.store.expire(this.key(), this.ttlMs)) return 'continued';
    await this.store.set(this.key(), JSON.stringify({ id: this.options.instanceId, since: this.since, pid: process.pid }), { ttlMs: this.ttlMs });
    return 'joined';
  }

  async live(): Promise<string[]> {
    const prefix = `instances/${this.options.group}/`;
    return (await this.store.list(prefix)).map((e) => e.key.slice(prefix.length)).sort();
  }

  async leave(): Promise<void> {
    await this.store.delete(this.key());
  }
}
