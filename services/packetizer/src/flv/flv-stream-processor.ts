/**
 * The pure core of the packetizer for RTMP sources: FLV tags in, access units as RTP packets
 * out. No I/O; the service feeds it tags and publishes what it returns.
 *
 * FLV tag bodies (FLV spec v10.1 §E.4.2, §E.4.3):
 *  video: [frameType(4) codecId(4)] [AVCPacketType] [SI24 CompositionTime] data
 *         AVCPacketType 0 = AVCDecoderConfigurationRecord, 1 = AVCC NAL units, 2 = end
 *  audio: [soundFormat(4) rate(2) size(1) type(1)] [AACPacketType] data
 *         AACPacketType 0 = AudioSpecificConfig, 1 = raw AAC frame
 */
import {
  AacEncoder, AudioSpecificConfig, AvcDecoderConfig, H264Encoder, h264IsKeyframe, NalFramingError, NalLengthSize,
  parseAudioSpecificConfig, parseAvcDecoderConfig, AvcConfigError, AudioSpecificConfigError, Sequencer, serializeRtpPacket,
  splitAvcc,
} from '@streamgate/protocol-rtp';
import { AccessUnitOut, AUDIO_PAYLOAD_TYPE, AUDIO_TRACK, VIDEO_PAYLOAD_TYPE, VIDEO_TRACK } from '../media/access-unit';
import type { AudioConfig, MediaProcessor, VideoConfig } from '../media/track-config';
import { buildVideoConfig, cleanAccessUnit, equalBytes, H264, sameVideoConfig, withParameterSets } from '../media/video-codec';
import { FlvInputError } from './errors';
import { FlvMetadata, parseFlvMetadata } from './flv-metadata';
import { AudioClock, VideoClock } from './rtp-clock';

export interface FlvTagIn {
  tagType: 8 | 9 | 18;
  /** FLV timestamp (dts), ms. */
  timestamp: number;
  data: Uint8Array;
}

export interface FlvStreamProcessorOptions {
  /** RTP payload budget (config RTP_MAX_PAYLOAD). Default 1400. */
  maxPayloadSize?: number;
  /** Uniform random u32; injectable for tests. */
  random?: () => number;
  /** Gap inserted between the last timestamp of one publish and the first of the next, ms. */
  republishGapMs?: number;
  /** Output SSRC/sequence per track; shared with the RTP path so a stream keeps one identity. */
  videoSequencer?: Sequencer;
  audioSequencer?: Sequencer;
}

/** Media time after the video config arrives that we wait for an announced audio config. */
export const AUDIO_WAIT_MS = 1000;

const CODEC_AVC = 7;
const SOUND_FORMAT_AAC = 10;
const FRAME_TYPE_KEY = 1;

export class FlvStreamProcessor implements MediaProcessor {
  readonly videoSequencer: Sequencer;
  readonly audioSequencer: Sequencer;
  private readonly video: H264Encoder;
  private readonly maxPayloadSize: number;
  private readonly random: () => number;
  private readonly republishGapMs: number;
  private readonly videoClock: VideoClock;
  private readonly audioBase: number;
  private audio: { encoder: AacEncoder; clock: AudioClock } | undefined;
  private videoConfigValue: VideoConfig | undefined;
  private lengthSize: NalLengthSize = 4;
  private audioConfigValue: AudioConfig | undefined;
  private metadata: FlvMetadata | undefined;
  private audioSeen = false;
  private videoSeen = false;
  /** Added to FLV times so a re-publish continues after the previous one. */
  private offsetMs = 0;
  private lastMs: number | undefined;
  private rebase = false;
  private firstMediaMs: number | undefined;
  private latestMediaMs: number | undefined;
  /** Increments whenever a codec configuration changes (SDP version). */
  configVersion = 0;

  constructor(options: FlvStreamProcessorOptions = {}) {
    this.maxPayloadSize = options.maxPayloadSize ?? 1400;
    this.random = options.random ?? (() => Math.floor(Math.random() * 0x100000000));
    this.republishGapMs = options.republishGapMs ?? 100;
    this.videoSequencer = options.videoSequencer ?? new Sequencer({ random: this.random });
    this.audioSequencer = options.audioSequencer ?? new Sequencer({ random: this.random });
    this.video = new H264Encoder({ sequencer: this.videoSequencer, payloadType: VIDEO_PAYLOAD_TYPE, maxPayloadSize: this.maxPayloadSize });
    this.videoClock = new VideoClock(this.random());
    this.audioBase = this.random();
  }

  get videoConfig(): VideoConfig | undefined {
    return this.videoConfigValue;
  }

  get audioConfig(): AudioConfig | undefined {
    return this.audioConfigValue;
  }

  /** Audio is expected unless metadata says there is none and no audio tag came. */
  get expectsAudio(): boolean {
    return this.audioSeen || this.metadata?.hasAudio !== false;
  }

  get expectsVideo(): boolean {
    return this.videoSeen || this.metadata?.hasVideo !== false;
  }

  /** Video config known, and audio config known unless no audio is expected or we waited long enough. */
  get ready(): boolean {
    const videoOk = this.videoConfigValue !== undefined || !this.expectsVideo;
    const audioOk = this.audioConfigValue !== undefined || !this.expectsAudio || (this.videoConfigValue !== undefined && this.mediaSpanMs >= AUDIO_WAIT_MS);
    return videoOk && audioOk && (this.videoConfigValue !== undefined || this.audioConfigValue !== undefined);
  }

  /** Milliseconds of media received since the last reset. */
  get mediaSpanMs(): number {
    return this.firstMediaMs === undefined || this.latestMediaMs === undefined ? 0 : this.latestMediaMs - this.firstMediaMs;
  }

  /**
   * A new publish (generation): forget codec configuration, keep SSRCs and sequence numbers so
   * readers see one continuous stream, and continue timestamps after the previous publish.
   */
  reset(): void {
    this.videoConfigValue = undefined;
    this.audioConfigValue = undefined;
    this.audio = undefined;
    this.metadata = undefined;
    this.audioSeen = false;
    this.videoSeen = false;
    this.firstMediaMs = undefined;
    this.latestMediaMs = undefined;
    this.rebase = this.lastMs !== undefined;
    this.configVersion++;
  }

  /** Processes one tag. Throws FlvInputError for malformed or unsupported tags. */
  processTag(tag: FlvTagIn): AccessUnitOut[] {
    if (tag.tagType === 18) {
      const meta = parseFlvMetadata(tag.data);
      if (meta) this.metadata = meta;
      return [];
    }
    const ms = this.mediaMs(tag.timestamp);
    return tag.tagType === 9 ? this.processVideo(tag.data, ms) : this.processAudio(tag.data, ms);
  }

  private mediaMs(flvMs: number): number {
    if (this.rebase && this.lastMs !== undefined) {
      this.offsetMs = this.lastMs + this.republishGapMs - flvMs;
      this.rebase = false;
    }
    const ms = flvMs + this.offsetMs;
    this.lastMs = this.lastMs === undefined ? ms : Math.max(this.lastMs, ms);
    this.firstMediaMs ??= ms;
    this.latestMediaMs = Math.max(this.latestMediaMs ?? ms, ms);
    return ms;
  }

  private processVideo(data: Uint8Array, dtsMs: number): AccessUnitOut[] {
    if (data.byteLength < 1) throw new FlvInputError('empty video tag');
    const codecId = data[0] & 0x0f;
    if ((data[0] & 0x80) !== 0 || codecId !== CODEC_AVC) throw new FlvInputError(`video codec ${codecId} (only AVC is supported)`, true);
    this.videoSeen = true;
    if (data.byteLength < 5) throw new FlvInputError(`AVC tag of ${data.byteLength} bytes`);
    const frameType = data[0] >> 4;
    const packetType = data[1];
    // CompositionTime is SI24 (signed).
    const cts = ((data[2] << 16) | (data[3] << 8) | data[4]) << 8 >> 8;
    const body = data.subarray(5);
    if (packetType === 0) {
      this.setVideoConfig(body);
      return [];
    }
    if (packetType !== 1) return [];
    const config = this.videoConfigValue;
    if (!config) return [];
    let nalus: Uint8Array[];
    try {
      nalus = splitAvcc(body, this.lengthSize, 1024);
    } catch (err) {
      if (err instanceof NalFramingError) throw new FlvInputError(err.message);
      throw err;
    }
    nalus = cleanAccessUnit(H264, nalus);
    if (nalus.length === 0) return [];
    const keyframe = frameType === FRAME_TYPE_KEY || h264IsKeyframe(nalus);
    if (keyframe) nalus = withParameterSets(H264, nalus, config);
    const rtpTimestamp = this.videoClock.rtpTimestamp(dtsMs + cts);
    const packets = this.video.encode(nalus, rtpTimestamp).map(serializeRtpPacket);
    return [{ track: VIDEO_TRACK, keyframe, rtpTimestamp, packets, nalus }];
  }

  private setVideoConfig(body: Uint8Array): void {
    let record: AvcDecoderConfig;
    try {
      record = parseAvcDecoderConfig(body);
    } catch (err) {
      if (err instanceof AvcConfigError) throw new FlvInputError(err.message);
      throw err;
    }
    const config = buildVideoConfig(H264, { sps: record.sps[0], pps: record.pps[0] });
    if (!config) return;
    if (sameVideoConfig(this.videoConfigValue, config) && this.lengthSize === record.lengthSize) return;
    this.videoConfigValue = config;
    this.lengthSize = record.lengthSize;
    this.configVersion++;
  }

  private processAudio(data: Uint8Array, ms: number): AccessUnitOut[] {
    if (data.byteLength < 1) throw new FlvInputError('empty audio tag');
    const format = data[0] >> 4;
    if (format !== SOUND_FORMAT_AAC) throw new FlvInputError(`sound format ${format} (only AAC is supported)`, true);
    this.audioSeen = true;
    if (data.byteLength < 2) throw new FlvInputError('AAC tag without AACPacketType');
    const body = data.subarray(2);
    if (data[1] === 0) {
      this.setAudioConfig(body);
      return [];
    }
    const audio = this.audio;
    if (!audio || body.byteLength === 0) return [];
    if (body.byteLength > 0x1fff) throw new FlvInputError(`AAC frame of ${body.byteLength} bytes`);
    const rtpTimestamp = audio.clock.rtpTimestamp(ms);
    const packets = audio.encoder.encode([body], rtpTimestamp).map(serializeRtpPacket);
    return [{ track: AUDIO_TRACK, keyframe: false, rtpTimestamp, packets }];
  }

  private setAudioConfig(body: Uint8Array): void {
    let parsed: AudioSpecificConfig;
    try {
      parsed = parseAudioSpecificConfig(body);
    } catch (err) {
      if (err instanceof AudioSpecificConfigError) throw new FlvInputError(err.message);
      throw err;
    }
    const asc = body.slice();
    if (this.audioConfigValue && equalBytes(this.audioConfigValue.asc, asc)) return;
    this.audioConfigValue = { asc, parsed, clockRate: parsed.sampleRate };
    this.audio = {
      encoder: new AacEncoder({ sequencer: this.audioSequencer, payloadType: AUDIO_PAYLOAD_TYPE, maxPayloadSize: this.maxPayloadSize, samplesPerFrame: parsed.samplesPerFrame }),
      clock: new AudioClock(this.audioBase, parsed.sampleRate, parsed.samplesPerFrame),
    };
    this.configVersion++;
  }
}
