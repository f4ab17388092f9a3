/**
 * Everything the packetizer holds for one stream: the processor of its current source (FLV
 * for RTMP pushes, RTP for pulled cameras) sharing one output identity (SSRCs, sequence
 * numbers), GOP cache, latest video frame, counters for status, and readiness for DESCRIBE.
 * No I/O here.
 */
import type { FrameCodec, SourceKind, StreamDescription } from '@streamgate/contracts';
import { aacObjectTypeName, Sequencer } from '@streamgate/protocol-rtp';
import { FlvStreamProcessor } from './flv/flv-stream-processor';
import { RtpStreamProcessor } from './rtp/rtp-stream-processor';
import type { UnsupportedTrack } from './rtp/camera-description';
import { GopCache, GopCacheLimits } from './gop/gop-cache';
import { buildStreamDescription } from './describe/stream-description';
import { AUDIO_TRACK, VIDEO_TRACK } from './media/access-unit';
import type { MediaProcessor } from './media/track-config';

export interface TrackStatus {
  id: number;
  media: 'video' | 'audio';
  codec: string;
  profile: string | null;
  level: string | null;
  width: number | null;
  height: number | null;
  sample_rate: number | null;
  channels: number | null;
}

export interface PacketizerStatus {
  source: SourceKind;
  frames_received: number;
  fps: number;
  bitrate_kbps: number;
  tracks: TrackStatus[];
  /** Unix seconds of the latest video frame, null before the first. */
  last_frame_time: number | null;
  /** RTP sources (RFC 3550 A.3 cumulative loss, A.8 jitter in seconds); 0 for RTMP. */
  packets_lost: number;
  jitter: number;
  unsupported_tracks: UnsupportedTrack[];
}

export interface LatestFrame {
  codec: FrameCodec;
  nalus: Uint8Array[];
  keyframe: boolean;
  receivedAt: number;
}

export interface StreamStateOptions {
  maxPayloadSize: number;
  gop: GopCacheLimits;
  now: number;
  random?: () => number;
  /** Malformed RTP packets skipped inside a batch. */
  onMalformed?: (err: Error) => void;
}

export class StreamState {
  readonly flv: FlvStreamProcessor;
  readonly rtp: RtpStreamProcessor;
  readonly gop: GopCache;
  readonly sessionId: string;
  source: SourceKind = 'rtmp';
  generation = -1;
  live = true;
  latestFrame: LatestFrame | undefined;
  /** The latest keyframe: decodable on its own (JPEG snapshots). */
  latestKeyframe: LatestFrame | undefined;
  framesReceived = 0;
  lastFrameTime: number | undefined;
  lastActivity: number;
  malformed = 0;
  malformedSinceLog = 0;
  lastMalformedLogAt = -Infinity;
  private windowFrames = 0;
  private windowBytes = 0;
  private windowStart: number;

  constructor(readonly stream: string, options: StreamStateOptions) {
    const random = options.random;
    const videoSequencer = new Sequencer({ random });
    const audioSequencer = new Sequencer({ random });
    this.flv = new FlvStreamProcessor({ maxPayloadSize: options.maxPayloadSize, random, videoSequencer, audioSequencer });
    this.rtp = new RtpStreamProcessor({ maxPayloadSize: options.maxPayloadSize, random, videoSequencer, audioSequencer, onMalformed: options.onMalformed });
    this.gop = new GopCache(options.gop);
    this.sessionId = String(Math.floor(Math.random() * 1e15));
    this.windowStart = options.now;
    this.lastActivity = options.now;
  }

  get processor(): MediaProcessor {
    return this.source === 'rtsp' ? this.rtp : this.flv;
  }

  /** New publish or source stopped: codec state and cached media no longer apply. */
  reset(): void {
    this.flv.reset();
    this.rtp.reset();
    this.gop.clear();
    this.latestFrame = undefined;
    this.latestKeyframe = undefined;
  }

  countInput(bytes: number, now: number): void {
    this.windowBytes += bytes;
    this.lastActivity = now;
  }

  countVideoFrame(now: number): void {
    this.framesReceived++;
    this.windowFrames++;
    this.lastFrameTime = now;
  }

  isReady(): boolean {
    return this.live && this.processor.ready;
  }

  describe(): StreamDescription {
    const p = this.processor;
    return buildStreamDescription({
      stream: this.stream,
      generation: Math.max(0, this.generation),
      sessionId: this.sessionId,
      version: p.configVersion,
      video: p.videoConfig && { config: p.videoConfig, ssrc: this.flv.videoSequencer.ssrc },
      audio: p.audioConfig && { config: p.audioConfig, ssrc: this.flv.audioSequencer.ssrc },
    });
  }

  /** Status for `status/<s>/packetizer`; closes the fps/bitrate window. */
  status(now: number): PacketizerStatus {
    const elapsed = Math.max(1, now - this.windowStart);
    const fps = Math.round((this.windowFrames * 1000 * 10) / elapsed) / 10;
    const bitrate = Math.round((this.windowBytes * 8) / elapsed);
    this.windowFrames = 0;
    this.windowBytes = 0;
    this.windowStart = now;
    const tracks: TrackStatus[] = [];
    const v = this.processor.videoConfig;
    if (v) {
      tracks.push({
        id: VIDEO_TRACK, media: 'video', codec: v.codec, profile: v.info?.profile ?? null, level: v.info?.level ?? null,
        width: v.info?.width ?? null, height: v.info?.height ?? null, sample_rate: 90000, channels: null,
      });
    }
    const a = this.processor.audioConfig;
    if (a) {
      tracks.push({
        id: AUDIO_TRACK, media: 'audio', codec: 'MPEG4-GENERIC', profile: aacObjectTypeName(a.parsed.objectType), level: null,
        width: null, height: null, sample_rate: a.parsed.sampleRate, channels: a.parsed.channels,
      });
    }
    const rtsp = this.source === 'rtsp';
    const reception = rtsp ? this.rtp.reception() : { packetsLost: 0, jitterSeconds: 0 };
    return {
      source: this.source,
      frames_received: this.framesReceived,
      fps,
      bitrate_kbps: bitrate,
      tracks,
      last_frame_time: this.lastFrameTime === undefined ? null : Math.floor(this.lastFrameTime / 1000),
      packets_lost: reception.packetsLost,
      jitter: Math.round(reception.jitterSeconds * 1e6) / 1e6,
      unsupported_tracks: rtsp ? [...this.rtp.unsupportedTracks] : [],
    };
  }
}
