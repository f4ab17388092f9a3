/**
 * Everything the packetizer holds for one stream: its FLV processor (codec state, SSRCs,
 * sequence numbers), GOP cache, latest video frame, counters for status, and readiness for
 * DESCRIBE. No I/O here.
 */
import { h264LevelName, h264ProfileName, aacObjectTypeName } from '@streamgate/protocol-rtp';
import { FlvStreamProcessor } from './flv/flv-stream-processor';
import { GopCache, GopCacheLimits } from './gop/gop-cache';
import { buildStreamDescription } from './describe/stream-description';
import type { StreamDescription } from '@streamgate/contracts';

/** Media time after the video config arrives that we wait for an announced audio config. */
export const AUDIO_WAIT_MS = 1000;

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
  frames_received: number;
  fps: number;
  bitrate_kbps: number;
  tracks: TrackStatus[];
  /** Unix seconds of the latest video frame, null before the first. */
  last_frame_time: number | null;
}

export interface LatestFrame {
  nalus: Uint8Array[];
  keyframe: boolean;
  receivedAt: number;
}

export class StreamState {
  readonly processor: FlvStreamProcessor;
  readonly gop: GopCache;
  readonly sessionId: string;
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

  constructor(readonly stream: string, options: { maxPayloadSize: number; gop: GopCacheLimits; now: number; random?: () => number }) {
    this.processor = new FlvStreamProcessor({ maxPayloadSize: options.maxPayloadSize, random: options.random });
    this.gop = new GopCache(options.gop);
    this.sessionId = String(Math.floor(Math.random() * 1e15));
    this.windowStart = options.now;
    this.lastActivity = options.now;
  }

  /** New publish or source stopped: codec state and cached media no longer apply. */
  reset(): void {
    this.processor.reset();
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

  /** Video config known, and audio config known unless no audio is expected or we waited long enough. */
  isReady(): boolean {
    const p = this.processor;
    if (!this.live) return false;
    const videoOk = p.videoConfig !== undefined || !p.expectsVideo;
    const audioOk = p.audioConfig !== undefined || !p.expectsAudio || (p.videoConfig !== undefined && p.mediaSpanMs >= AUDIO_WAIT_MS);
    return videoOk && audioOk && (p.videoConfig !== undefined || p.audioConfig !== undefined);
  }

  describe(): StreamDescription {
    const p = this.processor;
    return buildStreamDescription({
      stream: this.stream,
      generation: Math.max(0, this.generation),
      sessionId: this.sessionId,
      version: p.configVersion,
      video: p.videoConfig && { config: p.videoConfig, ssrc: p.videoSequencer.ssrc },
      audio: p.audioConfig && { config: p.audioConfig, ssrc: p.audioSequencer.ssrc },
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
      const sps = v.parsed;
      tracks.push({
        id: 0, media: 'video', codec: 'H264',
        profile: sps ? h264ProfileName(sps.profileIdc, sps.constraintFlags) : null,
        level: sps ? h264LevelName(sps.levelIdc) : null,
        width: sps?.width ?? null, height: sps?.height ?? null, sample_rate: 90000, channels: null,
      });
    }
    const a = this.processor.audioConfig;
    if (a) {
      tracks.push({
        id: 1, media: 'audio', codec: 'MPEG4-GENERIC', profile: aacObjectTypeName(a.parsed.objectType), level: null,
        width: null, height: null, sample_rate: a.parsed.sampleRate, channels: a.parsed.channels,
      });
    }
    return {
      frames_received: this.framesReceived,
      fps,
      bitrate_kbps: bitrate,
      tracks,
      last_frame_time: this.lastFrameTime === undefined ? null : Math.floor(this.lastFrameTime / 1000),
    };
  }
}
