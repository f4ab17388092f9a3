/**
 * Decides which cameras this ingest instance pulls: every enabled entry of the registry
 * (`streams/<name>`), shared among ingest instances through OwnershipManager leases so each
 * camera has exactly one puller (in one process the memory store makes this instance the
 * owner of all). Registry changes announced on `registry.streams.changed` apply at once; the
 * ownership rounds (every 2 s) re-read the registry as a fallback.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { REGISTRY_ASSERTED_KEY, REGISTRY_CHANGED_SUBJECT, REGISTRY_PREFIX, StreamConfig, StreamTransport, SourceDescription, SourceDemandReply } from '@streamgate/contracts';
import {
  Bus, CameraUrlGuard, Logger, OwnershipManager, ReleaseReason, SecretBox, StateStore, Subscription, StatusMetrics, StreamConfigDecoder,
} from '@streamgate/platform';
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
  /** Opens the sealed credentials of registry entries. */
  secrets: SecretBox;
  /** Camera URL guard applied on every connect. */
  cameraGuard?: CameraUrlGuard;
  /** Extra puller options (tests shorten backoff and probation). */
  puller?: Partial<Pick<CameraPullerOptions, 'backoff' | 'firstUdpPacketTimeoutMs'>>;
}

export function newInstanceId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** A registry entry's identity for "did it change": everything but the timestamps. */
function fingerprint(c: StreamConfig): string {
  return JSON.stringify([
    c.rtsp_url, c.channel, c.subtype, c.username, c.password, c.transport, c.tls_verify,
    c.backup_sources, c.switch_back_after, c.on_demand, c.on_demand_start_timeout, c.on_demand_close_after,
  ]);
}

export class CameraSupervisor {
  readonly instanceId: string;
  private readonly ownership: OwnershipManager;
  private readonly pullers = new Map<string, CameraPuller>();

  /** The live source of `name` when this instance pulls it. */
  description(name: string): SourceDescription | undefined {
    return this.pullers.get(name)?.description();
  }

  /**
   * A consumer needs `name` (`ingest.<s>.demand`). The instance pulling it answers (and keeps an
   * on-demand camera pulled); for a name that is no on-demand camera of the registry every
   * instance answers at once "not on demand", so consumers of other streams never wait for a
   * reply; for an on-demand camera another instance pulls, this one stays silent (undefined).
   */
  demand(name: string): SourceDemandReply | undefined {
    const puller = this.pullers.get(name);
    if (puller) return puller.demand();
    if (this.configs.get(name)?.on_demand) return undefined;
    return { on_demand: false, playing: false, start_timeout_ms: 0 };
  }
  private configs = new Map<string, StreamConfig>();
  /** The registry is read every ownership round: entries that did not change are not decoded again. */
  private readonly decoder: StreamConfigDecoder;
  private subscription: Subscription | undefined;
  private reconciling: Promise<void> | undefined;
  /** The control API's "registry complete" marker was seen in the store at least once. */
  private assertedSeen = false;
  private again = false;
  private stopped = false;

  constructor(private readonly options: CameraSupervisorOptions) {
    this.instanceId = options.instanceId ?? newInstanceId();
    this.decoder = new StreamConfigDecoder(options.secrets);
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
    const [asserted, entries] = await Promise.all([this.options.store.get(REGISTRY_ASSERTED_KEY), this.options.store.list(REGISTRY_PREFIX)]);
    for (const { key, value } of entries) {
      const config = this.parse(key, value);
      if (config?.enabled) next.set(config.name, config);
    }
    this.decoder.retain(new Set(entries.map((e) => e.key)));
    if (asserted !== undefined) this.assertedSeen = true;
    else if (this.assertedSeen) {
      // The store lost its data: an empty or partial registry is not "cameras removed". Keep
      // pulling what we pull until the control API has re-asserted the registry (issue 13).
      for (const [name, puller] of this.pullers) if (!next.has(name)) next.set(name, puller.config);
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
      requestTimeoutMs: this.options.requestTimeoutMs, statusMetrics: this.options.statusMetrics, cameraGuard: this.options.cameraGuard,
      ...this.options.puller,
    });
    this.pullers.set(config.name, puller);
    puller.start();
  }

  private async release(name: string, reason: ReleaseReason): Promise<void> {
    const puller = this.pullers.get(name);
    if (!puller) return;
    this.pullers.delete(name);
    const why = reason === 'removed' ? 'camera disabled or removed' : reason === 'shutdown' ? 'ingest stopping' : `ownership ${reason}`;
    // Removed: the status goes too. Moved (rebalanced, lost): a handover, the new owner
    // continues the stream and writes the status.
    await puller.stop(why, reason === 'removed', reason === 'rebalanced' || reason === 'lost');
  }

  private parse(key: string, value: string): StreamConfig | undefined {
    try {
      return this.decoder.decode(key, value);
    } catch (err) {
      this.options.logger.warn({ key, reason: (err as Error).message }, 'ignoring invalid registry entry');
      return undefined;
    }
  }
}
