import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { STATUS_INTERVAL_MS, STATUS_PREFIX, decodeStatus, parseStatusKey } from '@streamgate/contracts';
import { OwnershipManager, ReleaseReason, ServiceContext } from '@streamgate/platform';

/** How long a `source-started` keeps a stream in the resource list before its status shows up. */
const ANNOUNCED_TTL_MS = 30_000;
/**
 * How long a stream stays live after its ingest status was last seen. Status is soft state in
 * the store, rewritten every second: a store restarted without data loses it for about that
 * long, which must not stop a stream (issue 13).
 */
const STATUS_GRACE_MS = 5 * STATUS_INTERVAL_MS;

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
  /** When each stream was last reported live by its ingest status. */
  private readonly seen = new Map<string, number>();
  private readonly ownership: OwnershipManager;

  constructor(private readonly ctx: ServiceContext, options: StreamAssignmentOptions) {
    this.instanceId = options.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.ownership = new OwnershipManager(ctx.store, {
      group: 'packetizer',
      instanceId: this.instanceId,
      tickMs: options.tickMs,
      leaseTtlMs: options.leaseTtlMs,
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
    this.seen.delete(stream);
  }

  private async liveStreams(): Promise<string[]> {
    const now = Date.now();
    const live = new Set<string>();
    for (const [stream, at] of this.announced) {
      if (now - at > ANNOUNCED_TTL_MS) this.announced.delete(stream);
      else live.add(stream);
    }
    for (const { key, value } of await this.ctx.store.list(STATUS_PREFIX)) {
      const at = parseStatusKey(key);
      if (at?.service !== 'ingest') continue;
      // A record that does not decode is ignored like a missing one.
      const status = decodeStatus('ingest', value);
      if (!status) continue;
      if (status.connected === true || (status.source === 'rtmp' ? status.publishing : status.playing) === true) this.seen.set(at.stream, now);
      else this.seen.delete(at.stream);
    }
    for (const [stream, at] of this.seen) {
      if (now - at > STATUS_GRACE_MS) this.seen.delete(stream);
      else live.add(stream);
    }
    return [...live];
  }
}
