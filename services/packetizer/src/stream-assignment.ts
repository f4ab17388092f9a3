import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { OwnershipManager, ReleaseReason, ServiceContext } from '@streamgate/platform';

/** How long a `source-started` keeps a stream in the resource list before its status shows up. */
const ANNOUNCED_TTL_MS = 30_000;

export interface StreamAssignmentOptions {
  onAcquire: (stream: string) => void | Promise<void>;
  onRelease: (stream: string, reason: ReleaseReason) => void | Promise<void>;
  tickMs?: number;
  leaseTtlMs?: number;
  instanceId?: string;
}

/**
 * Which live streams this packetizer instance handles when several run (distributed mode):
 * the live streams are those ingest reports as connected or publishing (plus ones just
 * announced by `source-started`), shared out by the platform's OwnershipManager (rendezvous
 * hashing over live packetizers, one lease per stream).
 */
export class StreamAssignment {
  readonly instanceId: string;
  private readonly announced = new Map<string, number>();
  private readonly ownership: OwnershipManager;

  constructor(private readonly ctx: ServiceContext, options: StreamAssignmentOptions) {
    this.instanceId = options.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.ownership = new OwnershipManager(ctx.store, {
      group: 'packetizer',
      instanceId: this.instanceId,
      tickMs: options.tickMs ?? 2000,
      leaseTtlMs: options.leaseTtlMs ?? 10_000,
      resources: () => this.liveStreams(),
      onAcquire: options.onAcquire,
      onRelease: options.onRelease,
      metrics: ctx.metrics,
      onError: (err) => ctx.logger.warn({ err }, 'packetizer ownership round failed'),
    });
  }

  start(): Promise<void> {
    return this.ownership.start();
  }

  stop(): Promise<void> {
    return this.ownership.stop();
  }

  owned(): string[] {
    return this.ownership.owned();
  }

  /** A source started: take part in its assignment now rather than at the next round. */
  noteStarted(stream: string): void {
    this.announced.set(stream, Date.now());
    void this.ownership.tick();
  }

  noteStopped(stream: string): void {
    this.announced.delete(stream);
  }

  private async liveStreams(): Promise<string[]> {
    const now = Date.now();
    const live = new Set<string>();
    for (const [stream, at] of this.announced) {
      if (now - at > ANNOUNCED_TTL_MS) this.announced.delete(stream);
      else live.add(stream);
    }
    for (const { key, value } of await this.ctx.store.list('status/')) {
      const [, stream, service] = key.split('/');
      if (service !== 'ingest' || !stream) continue;
      try {
        const status = JSON.parse(value) as { connected?: unknown; publishing?: unknown; playing?: unknown };
        if (status.connected === true || status.publishing === true || status.playing === true) live.add(stream);
      } catch {
        // A status entry that is not JSON is ignored like a missing one.
      }
    }
    return [...live];
  }
}
