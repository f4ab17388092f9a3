/**
 * Everything the packetizer holds for one stream: the one source pipeline (RTP of pulled
 * cameras and codec units of RTMP pushes alike) with one output identity (SSRCs, sequence
 * numbers) kept across source generations (SSRCs and timeline bases derived from the stream
 * name, so shared with a packetizer that takes the stream over: outputIdentity), GOP cache,
 * latest video frame, counters for status, and readiness for DESCRIBE. No I/O here.
 */
import { Subjects } from '@streamgate/contracts';
import type { FrameCodec, PacketizerStatus, SourceKind, StreamDescription, TrackStatus } from '@streamgate/contracts';
import { BufferSlab, Sequencer, TimelineContinuity } from '@streamgate/protocol-rtp';
import { aacObjectTypeName } from '@streamgate/codec';
import { SourcePipeline } from './pipeline/source-pipeline';
import { GopCache, GopCacheLimits } from '@streamgate/media';
import { buildStreamDescription } from './describe/stream-description';
import { AUDIO_TRACK, OutputTrack, VIDEO_TRACK } from './media/access-unit';
import { OutputHandover, TrackHandover, outputIdentity, sequenceAfterHandover } from './output-identity';

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
  /** Malformed RTP packets skipped inside a batch. */
  onMalformed?: (err: Error) => void;
  /** The previous owner's output (a packetizer taking the stream over): continued, not restarted. */
  handover?: OutputHandover;
}

export class StreamState {
  readonly pipeline: SourcePipeline;
  /** The formats the pipeline is configured with (as announced), to tell a changed description from a repeated one. */
  formatsKey: string | undefined;
  /** Encoded AccessUnitMessage envelopes, as published. */
  readonly gop: GopCache<Uint8Array>;
  /**
   * Output RTP timelines per track, kept (like the sequencers) across source generations so
   * readers that stay connected see one continuous stream (TimelineContinuity).
   */
  private readonly timelines = new Map<number, TimelineContinuity>();
  private readonly handedOver: OutputHandover['tracks'];
  /** Sequence and time of the last handover written, per track: the packet rate since. */
  private readonly lastHandover = new Map<number, { seq: number; atMs: number; rate: number }>();
  readonly sessionId: string;
  /** `media.<s>.out`, built once: every output unit is published on it. */
  readonly mediaOutSubject: string;
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
    this.mediaOutSubject = Subjects.mediaOut(stream);
    // SSRCs and timeline bases from the stream name: a packetizer taking the stream over continues them.
    const identity = outputIdentity(stream);
    // A previous owner's sequence numbers go on (past what it can have sent), else a random start.
    this.handedOver = options.handover?.tracks ?? {};
    const resumed = (t: TrackHandover | undefined): number | undefined => t && sequenceAfterHandover(t, options.now);
    const videoSequencer = new Sequencer({ ssrc: identity.ssrc[VIDEO_TRACK], initialSequenceNumber: resumed(this.handedOver[VIDEO_TRACK]) });
    const audioSequencer = new Sequencer({ ssrc: identity.ssrc[AUDIO_TRACK], initialSequenceNumber: resumed(this.handedOver[AUDIO_TRACK]) });
    this.pipeline = new SourcePipeline({
      maxPayloadSize: options.maxPayloadSize, videoSequencer, audioSequencer, timelineBase: (track) => identity.timelineBase[track], onMalformed: options.onMalformed,
      // The stream's units live about a GOP (its cache, readers): cut from its own slabs.
      allocate: new BufferSlab().allocate,
    });
    this.gop = new GopCache<Uint8Array>(options.gop, (envelope) => envelope.byteLength);
    this.sessionId = String(Math.floor(Math.random() * 1e15));
    this.windowStart = options.now;
    this.lastActivity = options.now;
  }

  /** The output timeline of `track` (created at its clock rate on first use). */
  timeline(track: number, clockRate: number): TimelineContinuity {
    let t = this.timelines.get(track);
    if (!t || t.clockRate !== clockRate) {
      t = new TimelineContinuity(clockRate);
      const handed = this.handedOver[track as OutputTrack];
      if (!this.timelines.has(track) && handed?.clockRate === clockRate) t.resume(handed);
      this.timelines.set(track, t);
    }
    return t;
  }

  /** What the next owner of the stream needs to continue its output (OutputHandover), at `nowMs`. */
  handover(nowMs: number): OutputHandover {
    const tracks: OutputHandover['tracks'] = {};
    for (const [track, timeline] of this.timelines) {
      const position = timeline.position(nowMs);
      if (!position) continue;
      const seq = (track === VIDEO_TRACK ? this.pipeline.videoSequencer : this.pipeline.audioSequencer).peek();
      const last = this.lastHandover.get(track);
      let rate = last?.rate ?? 0;
      if (last && nowMs > last.atMs) rate = (((seq - last.seq) & 0xffff) * 1000) / (nowMs - last.atMs);
      this.lastHandover.set(track, { seq, atMs: nowMs, rate });
      tracks[track as OutputTrack] = { clockRate: timeline.clockRate, ...position, nextSequence: seq, packetsPerSecond: Math.min(1_000_000, Math.round(rate)) };
    }
    return { tracks };
  }

  /** A new source generation: its first timestamps continue the timelines readers have. */
  rebaseTimelines(): void {
    for (const t of this.timelines.values()) t.rebase();
  }

  /** New publish or source stopped: codec state and cached media no longer apply. */
  reset(): void {
    this.pipeline.reset();
    this.formatsKey = undefined;
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
    return this.live && this.pipeline.ready;
  }

  describe(): StreamDescription {
    const p = this.pipeline;
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
    const v = this.pipeline.videoConfig;
    if (v) {
      tracks.push({
        id: VIDEO_TRACK, media: 'video', codec: v.codec, profile: v.info?.profile ?? null, level: v.info?.level ?? null,
        width: v.info?.width ?? null, height: v.info?.height ?? null, sample_rate: 90000, channels: null,
      });
    }
    const a = this.pipeline.audioConfig;
    if (a) {
      tracks.push({
        id: AUDIO_TRACK, media: 'audio', codec: 'MPEG4-GENERIC', profile: aacObjectTypeName(a.parsed.objectType), level: null,
        width: null, height: null, sample_rate: a.parsed.sampleRate, channels: a.parsed.channels,
      });
    }
    return {
      source: this.source,
      frames_received: this.framesReceived,
      fps,
      bitrate_kbps: bitrate,
      tracks,
      // Unix seconds with milliseconds, as the RTMP ingest writes it (one type for one field).
      last_frame_time: this.lastFrameTime === undefined ? null : this.lastFrameTime / 1000,
      unsupported_tracks: this.pipeline.unsupportedTracks.map(({ index, media, codec, reason }) => ({ index, media, codec, reason })),
    };
  }
}
