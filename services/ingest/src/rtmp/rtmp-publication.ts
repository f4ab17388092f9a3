/**
 * One accepted publish. Its FLV tags become the media model's codec units here, at the edge
 * (`FlvReader`: protocol-rtmp reads the FLV, the media model the sequence headers), sent on
 * `media.<s>.in` as CodecUnitMessages; the formats the sequence headers describe go out in
 * `source-started` (the same typed schema as a camera's). Start/stop events, the source
 * description and `status/<s>/ingest` go through the shared LiveSource lifecycle.
 */
import { CodecUnitMessage, encodeEnvelope, SourceDescription, RtmpIngestStatus, RtmpPublisherInfo, sourceFormatOf, unsupportedSourceTrackOf } from '@streamgate/contracts';
import { Bus, Logger, StateStore, StatusMetrics, preciseNowMs } from '@streamgate/platform';
import type { FlvTagType } from '@streamgate/protocol-rtmp';
import { AccessUnit, FlvReader, FlvReadError } from '@streamgate/media';
import { LiveSource } from '../source/live-source';
import type { Publication } from './publish-gate';

export interface RtmpPublicationOptions {
  stream: string;
  app: string;
  generation: number;
  bus: Bus;
  store: StateStore;
  logger: Logger;
  /** Called once, after the publication ended (registry release, bookkeeping). */
  onEnded: (publication: RtmpPublication) => Promise<void>;
  /** Disconnects the publishing session. */
  disconnect: (reason: string) => void;
  /** Mirrors the status into the process's metrics. */
  statusMetrics?: StatusMetrics;
}

/**
 * Units read before the formats are complete (video waiting up to FLV_AUDIO_WAIT_MS for an
 * announced AAC sequence header) are held, then sent after the description; beyond these
 * bounds the oldest go.
 */
export const MAX_HELD_UNITS = 512;
export const MAX_HELD_BYTES = 16 * 1024 * 1024;

export class RtmpPublication implements Publication {
  readonly stream: string;
  readonly app: string;
  readonly generation: number;
  readonly disconnect: (reason: string) => void;
  private readonly logger: Logger;
  private readonly onEnded: (publication: RtmpPublication) => Promise<void>;
  private readonly live: LiveSource;
  private readonly reader = new FlvReader();
  private readonly startedAt = Date.now();
  private described = false;
  private held: CodecUnitMessage[] = [];
  private heldBytes = 0;
  private packets = 0;
  private frames = 0;
  private bytes = 0;
  private malformed = 0;
  private lastFrameAt: number | undefined;
  private ended: Promise<void> | undefined;
  private over = false;

  constructor(options: RtmpPublicationOptions) {
    this.stream = options.stream;
    this.app = options.app;
    this.generation = options.generation;
    this.logger = options.logger;
    this.onEnded = options.onEnded;
    this.disconnect = options.disconnect;
    this.live = new LiveSource({
      stream: options.stream, kind: 'rtmp', bus: options.bus, store: options.store, logger: options.logger, statusMetrics: options.statusMetrics,
      status: () => this.status(),
    });
  }

  /** The publish is accepted: `source-started` (no formats until the sequence headers are read). */
  start(): void {
    this.live.begin({}, this.generation);
    this.live.writeStatus();
    this.live.startHeartbeat();
  }

  media(tagType: FlvTagType, timestamp: number, body: Uint8Array): string | undefined {
    if (this.ended) return undefined;
    const receivedAt = preciseNowMs();
    this.packets++;
    this.bytes += body.byteLength;
    const audioBefore = this.reader.audioCodecName;
    let read;
    try {
      read = this.reader.read(tagType, timestamp, body);
    } catch (err) {
      if (!(err instanceof FlvReadError)) throw err;
      // Skipped; the publish goes on (a publisher's bad tag affects nothing else).
      if (this.malformed++ % 100 === 0) this.logger.debug({ stream: this.stream, count: this.malformed, reason: err.message }, 'malformed FLV tag skipped');
      return undefined;
    }
    if (read.refuse) {
      this.logger.warn({ stream: this.stream, codec: this.reader.videoCodecName }, `rtmp publish refused: ${read.refuse}`);
      return read.refuse;
    }
    const audio = this.reader.audioCodecName;
    if (audio !== audioBefore && audio !== null && audio !== 'AAC') this.logger.warn({ stream: this.stream, codec: audio }, 'audio codec is not supported (only AAC)');
    if (read.frame) {
      this.frames++;
      this.lastFrameAt = receivedAt;
    }
    if (read.changed) this.describe();
    for (const unit of read.units) this.send(unit, receivedAt);
    return undefined;
  }

  /** For a packetizer taking the stream over mid-publish. */
  description(): SourceDescription | undefined {
    return this.live.description();
  }

  /** The formats are complete, or changed: announced (same generation); held units follow. */
  private describe(): void {
    this.live.describe({ formats: this.reader.tracks.map(sourceFormatOf), unsupported: this.reader.unsupported.map(unsupportedSourceTrackOf) });
    if (this.described) return;
    this.described = true;
    for (const unit of this.held) this.live.publishMedia(encodeEnvelope(unit));
    this.held = [];
    this.heldBytes = 0;
  }

  private send(unit: AccessUnit, receivedAt: number): void {
    const msg: CodecUnitMessage = { kind: 'codec-unit', track: unit.track, keyframe: unit.keyframe, timestamp: unit.timestamp, receivedAt, payloads: unit.payloads };
    if (this.described) {
      this.live.publishMedia(encodeEnvelope(msg));
      return;
    }
    // Held: the payloads are views into the chunk decoder's message, copied once here
    // (`new Uint8Array(view)` copies; a Buffer's slice() would not).
    const size = unit.payloads.reduce((n, p) => n + p.byteLength, 0);
    this.held.push({ ...msg, payloads: unit.payloads.map((p) => new Uint8Array(p)) });
    this.heldBytes += size;
    while (this.held.length > MAX_HELD_UNITS || (this.heldBytes > MAX_HELD_BYTES && this.held.length > 1)) {
      const dropped = this.held.shift();
      if (dropped) this.heldBytes -= dropped.payloads.reduce((n, p) => n + p.byteLength, 0);
    }
  }

  end(reason: string): Promise<void> {
    if (!this.ended) this.ended = this.finish(reason);
    return this.ended;
  }

  info(): RtmpPublisherInfo {
    return {
      name: this.stream,
      app: this.app,
      started_at: this.startedAt / 1000,
      generation: this.generation,
      packets_received: this.packets,
      frames_received: this.frames,
      bytes_received: this.bytes,
      last_frame_time: this.lastFrameAt === undefined ? null : this.lastFrameAt / 1000,
      video_codec: this.reader.videoCodecName,
      audio_codec: this.reader.audioCodecName,
    };
  }

  private async finish(reason: string): Promise<void> {
    this.over = true;
    await this.live.end(reason);
    await this.onEnded(this);
  }

  private status(): RtmpIngestStatus {
    const info = this.info();
    const live = !this.over;
    return {
      source: 'rtmp',
      connected: live,
      publishing: live,
      packets_received: info.packets_received,
      frames_received: info.frames_received,
      bytes_received: info.bytes_received,
      last_frame_time: info.last_frame_time,
      started_at: info.started_at,
      generation: info.generation,
      video_codec: info.video_codec,
      audio_codec: info.audio_codec,
      remote_app: info.app,
    };
  }
}
