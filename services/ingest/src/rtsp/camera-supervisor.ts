/**
 * Decides which cameras this ingest instance pulls: every enabled entry of the registry
 * (`streams/<name>`), shared among ingest instances through OwnershipManager leases so each
 * camera has exactly one puller (in one process the memory store makes this instance the
 * owner of all). Registry changes announced on `registry.streams.changed` apply at once; the
 * ownership rounds (every 2 s) re-read the registry as a fallback.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { REGISTRY_CHANGED_SUBJECT, REGISTRY_PREFIX, StreamConfig, StreamTransport, SourceDescription } from '@streamgate/contracts';
import { Bus, Logger, OwnershipManager, ReleaseReason, StateStore, Subscription, StatusMetrics } from '@streamgate/platform';
import { CameraPuller, CameraPullerOptions } from './camera-puller';
import { UdpPortPairAllocator } from './udp-port-pair';

export interface CameraSupervisorOptions {
  bus: Bus;
  store: StateStore;
  logger: Logger;
  udpPorts: UdpPortPairAllocator;
  defaultTransport: StreamTransport;
  mediaTimeoutMs: number;
  requestTimeoutMs: number;
  /** Ownership round period; the registry is re-read this often too. Default 2 s. */
  tickMs?: number;
  instanceId?: string;
  statusMetrics?: StatusMetrics;
  /** Extra puller options (tests shorten backoff and probation). */
  puller?: Partial<Pick<CameraPullerOptions, 'backoff' | 'firstUdpPacketTimeoutMs'>>;
}

export function newInstanceId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** A registry entry's identity for "did it change": everything but the timestamps. */
function fingerprint(c: StreamConfig): string {
  return JSON.stringify([c.rtsp_url, c.channel, c.subtype, c.username, c.password, c.transport]);
}

export class CameraSupervisor {
  readonly instanceId: string;
  private readonly ownership: OwnershipManager;
  private readonly pullers = new Map<string, CameraPuller>();

  /** The live source of `name` when this instance pulls it. */
  description(name: string): SourceDescription | undefined {
    return this.pullers.get(name)?.description();
  }
  private configs = new Map<string, StreamConfig>();
  private subscription: Subscription | undefined;
  private reconciling: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly options: CameraSupervisorOptions) {
    this.instanceId = options.instanceId ?? newInstanceId();
    this.ownership = new OwnershipManager(options.store, {
      group: 'ingest',
      instanceId: this.instanceId,
      tickMs: options.tickMs,
      resources: () => this.enabledCameras(),
      onAcquire: (name) => this.acquire(name),
      onRelease: (name, reason) => this.release(name, reason),
      onError: (err) => options.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'camera ownership round failed'),
      metrics: options.statusMetrics?.metrics,
    });
  }

  async start(): Promise<void> {
    this.subscription = this.options.bus.subscribe(REGISTRY_CHANGED_SUBJECT, () => void this.reconcile());
    await this.ownership.start();
  }

  /** Names this instance pulls now. */
  pulling(): string[] {
    return [...this.pullers.keys()].sort();
  }

  /** TEARDOWN every camera and release the leases. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.subscription?.unsubscribe();
    await this.reconciling;
    await this.ownership.stop();
    await Promise.all([...this.pullers.values()].map((p) => p.stop('ingest stopping')));
    this.pullers.clear();
  }

  /** Runs an ownership round now; a change arriving during one triggers one more. */
  reconcile(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.reconciling) {
      this.again = true;
      return this.reconciling;
    }
    this.reconciling = (async () => {
      do {
        this.again = false;
        await this.ownership.tick();
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.reconciling = undefined;
    });
    return this.reconciling;
  }

  private async enabledCameras(): Promise<string[]> {
    const next = new Map<string, StreamConfig>();
    for (const { key, value } of await this.options.store.list(REGISTRY_PREFIX)) {
      const config = this.parse(key, value);
      if (config?.enabled) next.set(config.name, config);
    }
    this.configs = next;
    // An owned camera whose settings changed is pulled again with the new ones.
    for (const [name, puller] of this.pullers) {
      const config = next.get(name);
      if (config && fingerprint(config) !== fingerprint(puller.config)) {
        this.options.logger.info({ stream: name }, 'camera settings changed: reconnecting');
        await puller.stop('camera settings changed');
        this.startPuller(config);
      }
    }
    return [...next.keys()];
  }

  private acquire(name: string): void {
    const config = this.configs.get(name);
    if (!config || this.pullers.has(name)) return;
    this.startPuller(config);
  }

  private startPuller(config: StreamConfig): void {
    const puller = new CameraPuller({
      config, bus: this.options.bus, store: this.options.store, logger: this.options.logger, udpPorts: this.options.udpPorts,
      owner: this.instanceId, defaultTransport: this.options.defaultTransport, mediaTimeoutMs: this.options.mediaTimeoutMs,
      requestTimeoutMs: this.options.requestTimeoutMs, statusMetrics: this.options.statusMetrics, ...this.options.puller,
    });
    this.pullers.set(config.name, puller);
    puller.start();
  }

  private async release(name: string, reason: ReleaseReason): Promise<void> {
    const puller = this.pullers.get(name);
    if (!puller) return;
    this.pullers.delete(name);
    const why = reason === 'removed' ? 'camera disabled or removed' : reason === 'shutdown' ? 'ingest stopping' : `ownership ${reason}`;
    // Removed: the status goes too. Moved: the new owner writes it.
    await puller.stop(why, reason === 'removed');
  }

  private parse(key: string, value: string): StreamConfig | undefined {
    try {
      const parsed = StreamConfig.safeParse(JSON.parse(value));
      if (parsed.success) return parsed.data;
      this.options.logger.warn({ key, issue: parsed.error.issues[0]?.message }, 'ignoring invalid registry entry');
    } catch (err) {
      this.options.logger.warn({ key, err: (err as Error).message }, 'ignoring unparsable registry entry');
    }
    return undefined;
  }
}
