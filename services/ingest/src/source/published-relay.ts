/**
 * Feeds a stream from a key pushed to this gateway (a `publish:<key>` backup source). It follows
 * the key's live source over the bus through the same messages the key's own packetizer reads:
 * `source-started` (its formats) on `stream.<k>.events`, its codec units on `media.<k>.in`. The
 * units are handed on as published, envelope bytes and all: nothing is parsed twice, and the
 * puller of the stream publishes them under its own name and generation (LiveSource).
 *
 * Only RTMP-published keys are relayed: a key that is a camera of its own has RTP to offer,
 * which a published backup is not. The relay is over when the key's run stops or starts again
 * (a re-publish is a new source, taken up as one by the puller's source selection).
 */
import {
  EnvelopeError, IngestSubjects, SourceDescription, StreamEvent, Subjects, decodeEnvelope, decodeJson, sourceFormatMedia, type MediaMessage, type SourceFormat,
} from '@streamgate/contracts';
import type { Bus, BusMessage, Subscription } from '@streamgate/platform';
import type { SourceTracks } from './live-source';

export interface PublishedRelayOptions {
  bus: Bus;
  /** The stream key whose publication feeds the stream. */
  key: string;
  /** How long `start` waits for the key to be published and described. */
  startTimeoutMs: number;
  /** One unit of the key: its envelope as published (codec-unit), to be published unchanged. */
  onUnit: (envelope: Uint8Array, track: number, receivedAt: number) => void;
  /** The key's tracks changed while relaying (new sequence headers of the same publication). */
  onDescribed: (tracks: SourceTracks) => void;
  /** The key's run stopped or restarted: the relay is over. */
  onEnded: (error: Error) => void;
}

/** A track of the relayed publication, as the stall watch and the counters see it. */
export interface RelayedTrack {
  index: number;
  media: 'video' | 'audio';
  lastPacketAt: number | undefined;
  units: number;
  bytes: number;
}

export class PublishedKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PublishedKeyError';
  }
}

export class PublishedRelay {
  private subscriptions: Subscription[] = [];
  private generation: number | undefined;
  private trackList: RelayedTrack[] = [];
  private described: ((tracks: SourceTracks) => void) | undefined;
  private failed: ((error: Error) => void) | undefined;
  private running = false;
  private over = false;

  constructor(private readonly options: PublishedRelayOptions) {}

  get tracks(): readonly RelayedTrack[] {
    return this.trackList;
  }

  /**
   * Resolves with the key's tracks once it is published and described (at once when it is
   * already); rejects with PublishedKeyError when it is not within `startTimeoutMs`, or is no
   * push.
   */
  async start(): Promise<SourceTracks> {
    const { bus, key } = this.options;
    const ready = new Promise<SourceTracks>((resolve, reject) => {
      this.described = resolve;
      this.failed = reject;
    });
    this.subscriptions.push(bus.subscribe(Subjects.streamEvents(key), (msg) => this.onEvent(msg)));
    this.subscriptions.push(bus.subscribe(Subjects.mediaIn(key), (msg) => this.onMedia(msg)));
    void this.askDescription();
    const timer = setTimeout(() => this.failed?.(new PublishedKeyError(`nothing published on ${key} within ${this.options.startTimeoutMs / 1000} s`)), this.options.startTimeoutMs);
    try {
      const tracks = await ready;
      this.running = true;
      return tracks;
    } catch (err) {
      this.stop();
      throw err;
    } finally {
      clearTimeout(timer);
      this.described = undefined;
      this.failed = undefined;
    }
  }

  stop(): void {
    this.over = true;
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions = [];
  }

  /** The instance holding the key's publication answers with its description (ingest.<k>.source). */
  private async askDescription(): Promise<void> {
    const { bus, key } = this.options;
    try {
      const reply = await bus.request(IngestSubjects.source(key), new Uint8Array(0), { timeoutMs: this.options.startTimeoutMs });
      if (reply.data.byteLength === 0) return;
      const d = decodeJson(SourceDescription, reply.subject, reply.data);
      this.take(d.source, d.generation, d.formats, d.unsupported);
    } catch {
      // Not published (yet): its source-started may still come before the timeout.
    }
  }

  private onEvent(msg: BusMessage): void {
    let event: StreamEvent;
    try {
      event = decodeJson(StreamEvent, msg.subject, msg.data);
    } catch {
      return;
    }
    if (event.stream !== this.options.key || this.over) return;
    if (event.type === 'source-started') {
      if (this.generation !== undefined && event.generation !== this.generation) {
        this.end(new PublishedKeyError(`${this.options.key} was published again`));
        return;
      }
      this.take(event.source, event.generation, event.formats, event.unsupported);
    } else if (this.generation === undefined || event.generation === this.generation) {
      this.end(new PublishedKeyError(`${this.options.key} stopped: ${event.reason ?? 'publisher gone'}`));
    }
  }

  /** A description of the key (reply or event): the first with formats starts the relay. */
  private take(source: string, generation: number, formats: SourceFormat[] | undefined, unsupported: SourceTracks['unsupported']): void {
    if (this.over) return;
    if (source !== 'rtmp') {
      this.end(new PublishedKeyError(`${this.options.key} is not a published stream (its source is ${source})`));
      return;
    }
    if (this.generation !== undefined && generation !== this.generation) return;
    this.generation = generation;
    if (!formats || formats.length === 0) return;
    const tracks: SourceTracks = { formats, unsupported };
    this.trackList = formats.map((f) => {
      const media = sourceFormatMedia(f);
      const previous = this.trackList.find((t) => t.index === f.track && t.media === media);
      return previous ?? { index: f.track, media, lastPacketAt: undefined, units: 0, bytes: 0 };
    });
    if (this.described) this.described(tracks);
    else if (this.running) this.options.onDescribed(tracks);
  }

  private onMedia(msg: BusMessage): void {
    if (!this.running || this.over) return;
    // The envelope's one reader (contracts); its payloads are views, nothing is copied.
    let unit: MediaMessage;
    try {
      unit = decodeEnvelope(msg.data);
    } catch (err) {
      if (err instanceof EnvelopeError) return;
      throw err;
    }
    if (unit.kind !== 'codec-unit') return;
    const t = this.trackList.find((x) => x.index === unit.track);
    if (!t) return;
    t.lastPacketAt = unit.receivedAt;
    t.units++;
    t.bytes += unit.payloads.reduce((n, p) => n + p.byteLength, 0);
    this.options.onUnit(msg.data, unit.track, unit.receivedAt);
  }

  private end(error: Error): void {
    if (this.over) return;
    if (this.failed) {
      this.failed(error);
      return;
    }
    this.stop();
    this.options.onEnded(error);
  }
}
