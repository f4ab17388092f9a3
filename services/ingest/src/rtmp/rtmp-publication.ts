/**
 * One accepted publish: forwards every FLV tag to `media.<s>.in`, announces start/stop on
 * `stream.<s>.events`, and keeps `status/<s>/ingest` fresh while it lasts.
 */
import { Subjects, StreamEvent, encodeEnvelope, encodeJson, SourceDescription, STATUS_TTL_MS, STATUS_INTERVAL_MS } from '@streamgate/contracts';
import { Bus, Logger, StateStore, StatusMetrics, preciseNowMs } from '@streamgate/platform';
import { parseAudioTag, parseVideoTag } from '@streamgate/protocol-rtmp';
import { RtmpPublisherInfo, ingestStatusKey } from '@streamgate/contracts';
import type { FlvTagKind, Publication } from './publish-gate';


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

export class RtmpPublication implements Publication {
  readonly stream: string;
  private readonly statusMetrics: StatusMetrics | undefined;
  /** Latest onMetaData, AVC sequence header and AAC sequence header, by tag type. */
  private readonly configTags = new Map<FlvTagKind, NonNullable<SourceDescription['config_tags']>[number]>();
  readonly app: string;
  readonly generation: number;
  readonly disconnect: (reason: string) => void;
  private readonly bus: Bus;
  private readonly store: StateStore;
  private readonly logger: Logger;
  private readonly onEnded: (publication: RtmpPublication) => Promise<void>;
  private readonly mediaSubject: string;
  private readonly startedAt = Date.now();
  private packets = 0;
  private frames = 0;
  private bytes = 0;
  private lastFrameAt: number | undefined;
  private videoCodec: string | null = null;
  private audioCodec: string | null = null;
  private timer: NodeJS.Timeout | undefined;
  private ended: Promise<void> | undefined;

  constructor(options: RtmpPublicationOptions) {
    this.stream = options.stream;
    this.app = options.app;
    this.generation = options.generation;
    this.bus = options.bus;
    this.store = options.store;
    this.logger = options.logger;
    this.onEnded = options.onEnded;
    this.disconnect = options.disconnect;
    this.statusMetrics = options.statusMetrics;
    this.mediaSubject = Subjects.mediaIn(options.stream);
  }

  start(): void {
    this.publishEvent('source-started');
    this.writeStatus(true);
    this.timer = setInterval(() => this.writeStatus(true), STATUS_INTERVAL_MS);
    this.timer.unref();
  }

  media(tagType: FlvTagKind, timestamp: number, body: Uint8Array): void {
    if (this.ended) return;
    const receivedAt = preciseNowMs();
    this.packets++;
    this.bytes += body.byteLength;
    if (isConfigTag(tagType, body)) this.configTags.set(tagType, { tag_type: tagType, timestamp, data: Buffer.from(body).toString('base64') });
    if (tagType === 9) this.inspectVideo(body, receivedAt);
    else if (tagType === 8 && this.audioCodec === null) this.inspectAudio(body);
    this.bus.publish(this.mediaSubject, encodeEnvelope({ kind: 'flv-tag', tagType, timestamp, receivedAt, data: body }));
  }

  /** For a packetizer taking the stream over mid-publish. */
  description(): SourceDescription {
    return { stream: this.stream, source: 'rtmp', generation: this.generation, config_tags: [...this.configTags.values()] };
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
      video_codec: this.videoCodec,
      audio_codec: this.audioCodec,
    };
  }

  private async finish(reason: string): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.publishEvent('source-stopped', reason);
    this.writeStatus(false);
    await this.onEnded(this);
  }

  /** Counts video frames (tags carrying NALUs) and notes the codec; parsing never ends a session. */
  private inspectVideo(body: Uint8Array, receivedAt: number): void {
    try {
      const tag = parseVideoTag(body);
      if (tag.codec === 'avc') {
        this.videoCodec = 'H264';
        if (tag.packetType === 'nalu') {
          this.frames++;
          this.lastFrameAt = receivedAt;
        }
      } else if (this.videoCodec !== tag.name) {
        this.videoCodec = tag.name;
        this.logger.warn({ stream: this.stream, codec: tag.name }, `video codec ${tag.name} is not supported (only H.264); the stream will have no video`);
      }
    } catch (err) {
      this.logger.debug({ stream: this.stream, err }, 'unparsable video tag forwarded as is');
    }
  }

  private inspectAudio(body: Uint8Array): void {
    try {
      const tag = parseAudioTag(body);
      this.audioCodec = tag.codec === 'aac' ? 'AAC' : `SoundFormat ${tag.soundFormat}`;
      if (tag.codec !== 'aac') this.logger.warn({ stream: this.stream, codec: this.audioCodec }, 'audio codec is not supported (only AAC)');
    } catch (err) {
      this.logger.debug({ stream: this.stream, err }, 'unparsable audio tag forwarded as is');
    }
  }

  private publishEvent(type: StreamEvent['type'], reason?: string): void {
    const event: StreamEvent = { type, stream: this.stream, source: 'rtmp', at: Date.now(), generation: this.generation, reason };
    try {
      this.bus.publish(Subjects.streamEvents(this.stream), encodeJson(StreamEvent, event));
    } catch (err) {
      this.logger.error({ stream: this.stream, err }, `could not publish ${type}`);
    }
  }

  private writeStatus(live: boolean): void {
    const info = this.info();
    const status = {
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
    this.statusMetrics?.ingest(this.stream, status);
    if (!live) this.statusMetrics?.down(this.stream, 'rtmp');
    this.store.set(ingestStatusKey(this.stream), JSON.stringify(status), { ttlMs: STATUS_TTL_MS }).catch((err: unknown) => {
      this.logger.warn({ stream: this.stream, err }, 'could not write ingest status');
    });
  }
}

/** onMetaData, and the AVC / AAC sequence headers (FLV spec E.4.2.1, E.4.3.1). */
function isConfigTag(tagType: FlvTagKind, body: Uint8Array): boolean {
  if (tagType === 18) return true;
  if (body.byteLength < 2) return false;
  if (tagType === 9) return (body[0] & 0x0f) === 7 && body[1] === 0;
  return body[0] >> 4 === 10 && body[1] === 0;
}
