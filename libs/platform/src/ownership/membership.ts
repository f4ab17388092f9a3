import type { StateStore } from '../store/state-store';

export interface MembershipOptions {
  /** Role group, e.g. `ingest` or `packetizer`. */
  group: string;
  instanceId: string;
  /** Heartbeat lifetime; an instance silent for this long is dead. Default 6000 ms. */
  ttlMs?: number;
}

/**
 * Instance heartbeats under `instances/<group>/<id>` with a TTL. `beat()` is called on a
 * timer by the owner of this object; `live()` lists the instances whose heartbeat is fresh.
 */
export class Membership {
  readonly ttlMs: number;

  constructor(private readonly store: StateStore, readonly options: MembershipOptions) {
    this.ttlMs = options.ttlMs ?? 6000;
  }

  private key(id = this.options.instanceId): string {
    return `instances/${this.options.group}/${id}`;
  }

  async beat(): Promise<void> {
    await this.store.set(this.key(), JSON.stringify({ id: this.options.instanceId, at: Date.now(), pid: process.pid }), { ttlMs: this.ttlMs });
  }

  async live(): Promise<string[]> {
    const prefix = `instances/${this.options.group}/`;
    return (await this.store.list(prefix)).map((e) => e.key.slice(prefix.length)).sort();
  }

  async leave(): Promise<void> {
    await this.store.delete(this.key());
  }
}
