/**
 * The one pipeline of the packetizer, for every source kind: the source's tracks as typed
 * formats (from `source-started`), then its media in; our access units out. No I/O; the
 * service feeds it and publishes what it returns.
 *
 *  RTP (cameras):        in sequence order from ingest's one receiver per track (RtpReceiver:
 *                        window, loss, jitter, SSRC changes; batches flag a new source) →
 *                        depacketizer (VideoCodec.createDecoder / AacDecoder) → access units
 *  codec units (RTMP):   access units read at the edge by ingest (FlvReader), as they are
 *  then, for both:       VideoTrack / AudioTrack unit stage (parameter sets, clean access unit,
 *                        keyframe wait, parameter sets before keyframes) → TimestampMapper per
 *                        output track → our encoder (SSRC, sequence, payload budget).
 * When one track's timestamps jump or its source restarts, every track re-anchors from arrival
 * time so audio and video stay roughly aligned. Malformed packets are counted and skipped;
 * nothing a source sends makes `processBatch` / `processUnit` throw.
 */
import { AacDecodeError, ByteAllocator, H264DecodeError, H265DecodeError, NalDecoderLimits, OrderedPacket, parseRtpPacket, RtpParseError, Sequencer, TimestampMapper } from '@streamgate/protocol-rtp';
import { AccessUnitOut, AUDIO_TRACK, OutputTrack, VIDEO_TRACK } from '../media/access-unit';
import type { AccessUnit, AudioConfig, Mpeg4AudioFormat, SdpFormats, UnsupportedTrack, VideoConfig, VideoFormat } from '@streamgate/media';
import { readSdpFormats } from '@streamgate/media';
import { AudioTrack, ticksPerFrame } from './audio-track';
import { VideoTrack } from './video-track';

export interface RtpBatchIn {
  /** Media section index in the camera SDP. */
  track: number;
  rtcp: boolean;
  /** The first packet begins a new source (ingest's receiver decided: SSRC change, restart). */
  newSource: boolean;
  receivedAt: number;
  /** In sequence order (ingest's RtpReceiver). */
  packets: readonly Uint8Array[];
}

export interface SourcePipelineOptions {
  /** RTP payload budget (config RTP_MAX_PAYLOAD). Default 1400. */
  maxPayloadSize?: number;
  /** Output SSRC/sequence per track (kept by StreamState across source generations). */
  videoSequencer?: Sequencer;
  audioSequencer?: Sequencer;
  /** Uniform random u32; injectable for tests. */
  random?: () => number;
  /**
   * Output timelines on the arrival clock: a track's first unit maps to `timelineBase(track)`
   * plus its arrival time in the track's clock (TimestampMapper `onArrivalClock`), so a
   * packetizer taking the stream over continues the timeline readers have. Default: a random
   * base per track.
   */
  timelineBase?: (track: OutputTrack) => number;
  /** NAL unit / access unit bounds; defaults DEFAULT_NAL_DECODER_LIMITS (4 MiB, 128, 8 MiB). */
  nalLimits?: NalDecoderLimits;
  /** Told about every malformed packet skipped (for rate-limited logging). */
  onMalformed?: (err: Error) => void;
  /** Where packetized units are written (the stream's BufferSlab). Default: a new buffer each. */
  allocate?: ByteAllocator;
}

interface TrackSlot {
  pipeline: VideoTrack | AudioTrack;
  output: OutputTrack;
  started: boolean;
}

/** Frame rate assumed until the frame duration is observed. */
const DEFAULT_VIDEO_FPS = 25;

export class SourcePipeline {
  readonly videoSequencer: Sequencer;
  readonly audioSequencer: Sequencer;
  malformedPackets = 0;
  rtcpPackets = 0;
  /** Packets for a media section we do not carry. */
  ignoredPackets = 0;
  private readonly maxPayloadSize: number;
  private readonly random: () => number;
  private readonly slots = new Map<number, TrackSlot>();
  /** Kept across generations so a camera reconnect continues the readers' timeline. */
  private readonly mappers = new Map<OutputTrack, TimestampMapper>();
  private description: SdpFormats | undefined;
  private video: { input: number; format: VideoFormat } | undefined;
  private audio: { input: number; format: Mpeg4AudioFormat } | undefined;
  private baseVersion = 0;

  constructor(private readonly options: SourcePipelineOptions = {}) {
    this.maxPayloadSize = options.maxPayloadSize ?? 1400;
    this.random = options.random ?? (() => Math.floor(Math.random() * 0x100000000));
    this.videoSequencer = options.videoSequencer ?? new Sequencer({ random: this.random });
    this.audioSequencer = options.audioSequencer ?? new Sequencer({ random: this.random });
  }

  get configured(): boolean {
    return this.description !== undefined;
  }

  get videoConfig(): VideoConfig | undefined {
    const p = this.slot(VIDEO_TRACK)?.pipeline;
    return p instanceof VideoTrack ? p.config : undefined;
  }

  get audioConfig(): AudioConfig | undefined {
    const p = this.slot(AUDIO_TRACK)?.pipeline;
    return p instanceof AudioTrack ? p.config : undefined;
  }

  /** Increments whenever a codec configuration changes (SDP version). */
  get configVersion(): number {
    const p = this.slot(VIDEO_TRACK)?.pipeline;
    return this.baseVersion + (p instanceof VideoTrack ? p.configChanges : 0);
  }

  /** Every carried track has its configuration (video: parameter sets, from the description or in-band): readers can be described. */
  get ready(): boolean {
    if (!this.video && !this.audio) return false;
    return (!this.video || this.videoConfig !== undefined) && (!this.audio || this.audioConfig !== undefined);
  }

  get unsupportedTracks(): readonly UnsupportedTrack[] {
    return this.description?.unsupported ?? [];
  }

  /** Bytes held for incomplete NAL units and access units (bounded by the decoder limits). */
  get bufferedBytes(): number {
    let n = 0;
    for (const s of this.slots.values()) n += s.pipeline.bufferedBytes;
    return n;
  }

  /** A new source generation with the camera's SDP. Throws SdpParseError when it is not SDP. */
  configure(sdp: string): void {
    this.configureFormats(readSdpFormats(sdp));
  }

  /** A new source generation (or an RTMP description that changed) with the tracks it carries. */
  configureFormats(d: SdpFormats): void {
    this.reset();
    this.description = d;
    for (const t of d.tracks) {
      const f = t.format;
      if (f.media === 'video') {
        this.video = { input: t.index, format: f };
        const mapper = this.mapper(VIDEO_TRACK, f.clockRate, 1, Math.round(f.clockRate / DEFAULT_VIDEO_FPS));
        const pipeline = new VideoTrack({ spec: this.video, sequencer: this.videoSequencer, mapper, maxPayloadSize: this.maxPayloadSize, limits: this.options.nalLimits, allocate: this.options.allocate });
        this.slots.set(t.index, this.newSlot(pipeline, VIDEO_TRACK));
      } else {
        this.audio = { input: t.index, format: f };
        const mapper = this.mapper(AUDIO_TRACK, f.clockRate, 0, ticksPerFrame(f));
        const pipeline = new AudioTrack({ spec: this.audio, sequencer: this.audioSequencer, mapper, maxPayloadSize: this.maxPayloadSize, allocate: this.options.allocate });
        this.slots.set(t.index, this.newSlot(pipeline, AUDIO_TRACK));
      }
    }
  }

  /** The source stopped: its tracks are gone; SSRCs, sequence numbers and timelines stay. */
  reset(): void {
    this.slots.clear();
    this.description = undefined;
    this.video = undefined;
    this.audio = undefined;
    this.baseVersion++;
    for (const m of this.mappers.values()) m.reanchor();
  }

  /** One codec unit of a source read at the edge (RTMP): straight into its track's unit stage. */
  processUnit(unit: AccessUnit, receivedAt: number): AccessUnitOut[] {
    const slot = this.slots.get(unit.track);
    if (!slot) {
      this.ignoredPackets++;
      return [];
    }
    slot.started = true;
    const mapper = this.mappers.get(slot.output);
    const jumps = mapper?.jumps ?? 0;
    const out = slot.pipeline.unit(unit, receivedAt);
    if (mapper && mapper.jumps !== jumps) this.reanchorOthers(slot.output);
    return out ? [out] : [];
  }

  processBatch(batch: RtpBatchIn): AccessUnitOut[] {
    if (batch.rtcp) {
      this.rtcpPackets += batch.packets.length;
      return [];
    }
    const slot = this.slots.get(batch.track);
    if (!slot) {
      this.ignoredPackets += batch.packets.length;
      return [];
    }
    const out: AccessUnitOut[] = [];
    let newSource = batch.newSource;
    for (const bytes of batch.packets) {
      let o: OrderedPacket;
      try {
        o = { packet: parseRtpPacket(bytes), arrivalMs: batch.receivedAt, newSource };
      } catch (err) {
        if (!(err instanceof RtpParseError)) throw err;
        this.malformed(err);
        continue;
      }
      newSource = false;
      this.deliver(slot, o, out);
    }
    return out;
  }

  private deliver(slot: TrackSlot, o: OrderedPacket, out: AccessUnitOut[]): void {
    if (o.newSource && slot.started) this.reanchorAll();
    slot.started = true;
    const mapper = this.mappers.get(slot.output);
    const jumps = mapper?.jumps ?? 0;
    try {
      slot.pipeline.push(o, out);
    } catch (err) {
      if (!(err instanceof H264DecodeError || err instanceof H265DecodeError || err instanceof AacDecodeError)) throw err;
      this.malformed(err);
    }
    if (mapper && mapper.jumps !== jumps) this.reanchorOthers(slot.output);
  }

  private reanchorOthers(output: OutputTrack): void {
    for (const [track, m] of this.mappers) if (track !== output) m.reanchor();
  }

  private reanchorAll(): void {
    for (const m of this.mappers.values()) m.reanchor();
  }

  private malformed(err: Error): void {
    this.malformedPackets++;
    this.options.onMalformed?.(err);
  }

  private newSlot(pipeline: VideoTrack | AudioTrack, output: OutputTrack): TrackSlot {
    return { pipeline, output, started: false };
  }

  private slot(output: OutputTrack): TrackSlot | undefined {
    for (const s of this.slots.values()) if (s.output === output) return s;
    return undefined;
  }

  /** The output timeline of a track; a new one only when the clock rate changes. */
  private mapper(output: OutputTrack, clockRate: number, maxBackwardSeconds: number, frameTicks: number): TimestampMapper {
    const existing = this.mappers.get(output);
    if (existing && existing.clockRate === clockRate) return existing;
    const base = this.options.timelineBase;
    const mapper = new TimestampMapper({
      clockRate, outputBase: base ? base(output) : this.random(), onArrivalClock: base !== undefined, maxBackwardSeconds, defaultFrameDuration: frameTicks,
    });
    this.mappers.set(output, mapper);
    return mapper;
  }
}
