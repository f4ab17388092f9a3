/**
 * The lifecycle every live source of ingest shares, whatever speaks its protocol (an RTMP
 * publication, a camera puller; RTSP publish and WHIP later): its generation, the
 * `source-started` / `source-stopped` events on `stream.<s>.events`, the description a
 * packetizer taking the stream over asks for (`ingest.<s>.source`), the media it publishes on
 * `media.<s>.in`, and its status record `status/<s>/ingest` kept fresh by a heartbeat.
 *
 * The protocol side owns what differs: when the source starts (an accepted publish, the first
 * RTP packet after PLAY), its status fields (`status()`), and why it stops.
 */
import {
  IngestStatus, SourceDescription, SourceKind, StreamEvent, Subjects, STATUS_INTERVAL_MS, STATUS_TTL_MS, encodeJson, encodeStatus,
  ingestStatusKey,
} from '@streamgate/contracts';
import type { Bus, Logger, StateStore, StatusMetrics } from '@streamgate/platform';
import { SourceGenerations } from '../source-generations';

/** What a source carries, as typed formats (read once, by the one parser of its wire format). */
export type SourceTracks = Pick<SourceDescription, 'formats' | 'unsupported'>;

/**
 * How a source ends:
 *  - `stopped`: it is gone (publisher left, camera stopped): `source-stopped`, final status.
 *  - `removed`: the stream itself is gone (camera removed or disabled): `source-stopped`, the
 *    status is deleted.
 *  - `handover`: another ingest instance continues the stream (ownership moved); its
 *    `source-started` continues it, so no `source-stopped` and no final status (issue 13).
 */
export type SourceEnd = 'stopped' | 'removed' | 'handover';

export interface LiveSourceOptions {
  stream: string;
  kind: SourceKind;
  bus: Bus;
  store: StateStore;
  logger: Logger;
  statusMetrics?: StatusMetrics;
  /** The source's status record as of now. */
  status: () => IngestStatus;
  /** Status heartbeat period, ms. Default STATUS_INTERVAL_MS. */
  statusIntervalMs?: number;
}

/** `reason` in `source-stopped` is at most this long. */
const MAX_REASON_LENGTH = 500;

export class LiveSource {
  readonly stream: string;
  readonly kind: SourceKind;
  private readonly mediaSubject: string;
  private readonly eventSubject: string;
  private readonly generations: SourceGenerations;
  private generationValue = 0;
  private tracks: SourceTracks | undefined;
  /** What the running media is (see `begin`). */
  private carries: SourceKind;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(private readonly options: LiveSourceOptions) {
    this.stream = options.stream;
    this.kind = options.kind;
    this.carries = options.kind;
    this.mediaSubject = Subjects.mediaIn(options.stream);
    this.eventSubject = Subjects.streamEvents(options.stream);
    this.generations = new SourceGenerations(options.store);
  }

  /** The generation of the latest start (0 before the first). */
  get generation(): number {
    return this.generationValue;
  }

  /** Between `begin` and `stop`: media flows and the source is described. */
  get started(): boolean {
    return this.tracks !== undefined;
  }

  /** Continues the stream's shared count (`generations/<s>`) instead of starting at 0. */
  async loadGeneration(): Promise<void> {
    try {
      this.generationValue = await this.generations.current(this.stream);
    } catch (err) {
      this.options.logger.debug({ stream: this.stream, err: (err as Error).message }, 'no previous generation');
    }
  }

  /** Writes the status every heartbeat until `end`. */
  startHeartbeat(): void {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => this.writeStatus(), this.options.statusIntervalMs ?? STATUS_INTERVAL_MS);
    this.heartbeat.unref();
  }

  /**
   * The source starts: `source-started` with its tracks. `generation` when the caller counted
   * it already (the RTMP registry); otherwise the next one, counted in memory so the event goes
   * out at once and recorded in the shared counter behind it. `carries`: the kind of media this
   * run publishes when it is not the source's own (a camera stream fed by a published backup
   * relays RTMP codec units); `source-started` and the description name it, so the packetizer
   * reads the media by its kind, while `source-stopped` and status stay the stream's own.
   */
  begin(tracks: SourceTracks, generation?: number, carries: SourceKind = this.kind): void {
    this.carries = carries;
    if (generation === undefined) {
      this.generationValue++;
      this.generations.record(this.stream, this.generationValue).catch((err: unknown) => this.storeFailed(err));
    } else {
      this.generationValue = generation;
    }
    this.tracks = { ...tracks };
    this.publishEvent({ type: 'source-started', ...this.eventBase(), source: carries, formats: tracks.formats, unsupported: tracks.unsupported });
  }

  /**
   * What the source carries is known or changed while it runs (an RTMP publication's sequence
   * headers arrive after the start): `source-started` again, same generation, new formats.
   */
  describe(tracks: SourceTracks): void {
    if (!this.tracks) return;
    this.tracks = { ...tracks };
    this.publishEvent({ type: 'source-started', ...this.eventBase(), source: this.carries, formats: tracks.formats, unsupported: tracks.unsupported });
  }

  /** While started: what a packetizer taking the stream over needs. */
  description(): SourceDescription | undefined {
    if (!this.tracks) return undefined;
    return { stream: this.stream, source: this.carries, generation: this.generationValue, ...this.tracks };
  }

  /** One encoded media envelope on `media.<s>.in`; false when the bus refused it (logged). */
  publishMedia(envelope: Uint8Array): boolean {
    try {
      this.options.bus.publish(this.mediaSubject, envelope);
      return true;
    } catch (err) {
      this.options.logger.warn({ stream: this.stream, err: (err as Error).message }, 'could not publish media');
      return false;
    }
  }

  /** The source stopped delivering (it may start again as the next generation): `source-stopped`. */
  stop(reason: string, ended = false): void {
    if (!this.tracks) return;
    this.tracks = undefined;
    this.publishEvent({ type: 'source-stopped', ...this.eventBase(), reason: reason.slice(0, MAX_REASON_LENGTH), ...(ended ? { ended } : {}) });
  }

  /** The source is over for this instance (see SourceEnd). */
  async end(reason: string, how: SourceEnd = 'stopped'): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    const metrics = this.options.statusMetrics;
    if (how === 'handover') {
      this.tracks = undefined;
      await metrics?.forget(this.stream);
      return;
    }
    if (how === 'removed') {
      await this.options.store.delete(ingestStatusKey(this.stream)).catch((err: unknown) => this.storeFailed(err));
      await metrics?.forget(this.stream);
    } else {
      this.writeStatus(this.kind !== 'rtmp');
      // A push that ended leaves no series behind: keys are chosen by whoever publishes, and
      // 300 one-off pushes must not become 900 series. A camera stays a known stream, down.
      if (this.kind === 'rtmp') void metrics?.forget(this.stream);
      else metrics?.down(this.stream, this.kind);
    }
    // The run is over: its counters (ours, the packetizer's frames) start over at the next start.
    this.stop(reason, true);
  }

  /** Status record now (and into the process's metrics unless `toMetrics` is false). */
  writeStatus(toMetrics = true): void {
    const status = this.options.status();
    if (toMetrics) this.options.statusMetrics?.ingest(this.stream, status);
    this.options.store.set(ingestStatusKey(this.stream), encodeStatus('ingest', status), { ttlMs: STATUS_TTL_MS }).catch((err: unknown) => this.storeFailed(err));
  }

  private eventBase(): Pick<StreamEvent, 'stream' | 'source' | 'at' | 'generation'> {
    return { stream: this.stream, source: this.kind, at: Date.now(), generation: this.generationValue };
  }

  private publishEvent(event: StreamEvent): void {
    try {
      this.options.bus.publish(this.eventSubject, encodeJson(StreamEvent, event));
    } catch (err) {
      this.options.logger.error({ stream: this.stream, err: (err as Error).message }, `could not publish ${event.type}`);
    }
  }

  private storeFailed(err: unknown): void {
    this.options.logger.warn({ stream: this.stream, err: err instanceof Error ? err.message : String(err) }, 'could not write ingest status');
  }
}
