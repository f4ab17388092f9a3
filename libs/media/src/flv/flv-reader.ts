/**
 * An RTMP publication's FLV tags into the media model: formats (from the sequence headers) and
 * access units (from the coded frames), so an RTMP source reaches the packetizer as codec
 * units, the same units its depacketizer makes of a camera's RTP. FLV and AMF0 are read by
 * protocol-rtmp (`parseVideoTag`, `parseAudioTag`, `parseScriptTag`); codec data by the codec
 * lib. Pure: one reader per publication, fed tag by tag.
 *
 *  video (legacy AVC / HEVC CodecID 12, enhanced "avc1"/"hvc1"): sequence header → format;
 *        coded frames → one unit of NAL units, timestamp = (dts + composition time) × 90;
 *  audio (AAC): sequence header → format; raw frames → one unit each, timestamp at the sample rate;
 *  onMetaData: which tracks the publisher announces (so the description need not wait for a
 *        track that will not come).
 */
import { NalFramingError, NalLengthSize, splitAvcc } from '@streamgate/codec';
import { amf0Property, Amf0Error, CodedVideoTag, FlvError, FlvTagType, parseAudioTag, parseScriptTag, parseVideoTag } from '@streamgate/protocol-rtmp';
import type { AccessUnit } from '../access-unit';
import type { Format, Mpeg4AudioFormat, VideoFormat } from '../format/format';
import type { SdpTrack, UnsupportedTrack } from '../format/sdp-format';
import { equalBytes, videoCodec } from '../video-codec';
import { FlvAudioClock, flvVideoTimestamp } from './flv-clock';
import { audioFormatOfFlv, FLV_AUDIO_TRACK, FLV_VIDEO_TRACK, FlvFormatError, videoFormatOfFlv } from './flv-format';

/** Media time after the video format that the description waits for an announced audio format, ms. */
export const FLV_AUDIO_WAIT_MS = 1000;
/** NAL units per video tag we accept from a publisher. */
export const FLV_MAX_NALUS_PER_TAG = 1024;
/** Largest AAC frame (RFC 3640 AAC-hbr sizeLength 13 can describe no more). */
export const FLV_MAX_AAC_FRAME = 0x1fff;

/** A tag the publisher got wrong (FLV, AMF0 or codec data): skipped and counted, the publish goes on. */
export class FlvReadError extends Error {
  constructor(detail: string) {
    super(`FLV: ${detail}`);
    this.name = 'FlvReadError';
  }
}

export interface FlvRead {
  units: AccessUnit[];
  /** The tag changed the formats (a sequence header, a metadata that settles which tracks come). */
  changed: boolean;
  /** A video codec we cannot carry: the publish must end with this reason. */
  refuse?: string;
  /** A coded video frame (counted as a frame even when it yields no unit). */
  frame?: boolean;
}

const NOTHING: FlvRead = { units: [], changed: false };

interface Metadata {
  hasVideo?: boolean;
  hasAudio?: boolean;
}

export class FlvReader {
  /** The video codec the publisher sends ('H264', 'H265', or the name of one we refuse), once seen. */
  videoCodecName: string | null = null;
  /** 'AAC' or `SoundFormat <n>`, once seen. */
  audioCodecName: string | null = null;
  private video: { format: VideoFormat; lengthSize: NalLengthSize } | undefined;
  private audio: { format: Mpeg4AudioFormat; clock: FlvAudioClock } | undefined;
  private unsupportedAudio: UnsupportedTrack | undefined;
  private metadata: Metadata | undefined;
  private videoSeen = false;
  private audioSeen = false;
  private firstMs: number | undefined;
  private latestMs: number | undefined;
  private readyBefore = false;

  /** The tracks the formats describe (track ids FLV_VIDEO_TRACK / FLV_AUDIO_TRACK). */
  get tracks(): Array<Pick<SdpTrack, 'index' | 'format'>> {
    const out: Array<{ index: number; format: Format }> = [];
    if (this.video) out.push({ index: FLV_VIDEO_TRACK, format: this.video.format });
    if (this.audio) out.push({ index: FLV_AUDIO_TRACK, format: this.audio.format });
    return out;
  }

  /** Audio the publisher sends that we do not carry (not AAC). */
  get unsupported(): UnsupportedTrack[] {
    return this.unsupportedAudio ? [this.unsupportedAudio] : [];
  }

  /**
   * The formats are complete enough to describe the source: the video format is known (unless
   * no video is expected), and the audio format is known unless none is expected or the video
   * has run FLV_AUDIO_WAIT_MS without it.
   */
  get ready(): boolean {
    const expectsVideo = this.videoSeen || this.metadata?.hasVideo !== false;
    const expectsAudio = (this.audioSeen && !this.unsupportedAudio) || (!this.audioSeen && this.metadata?.hasAudio !== false);
    const videoOk = this.video !== undefined || !expectsVideo;
    const waited = this.firstMs !== undefined && this.latestMs !== undefined && this.latestMs - this.firstMs >= FLV_AUDIO_WAIT_MS;
    const audioOk = this.audio !== undefined || !expectsAudio || (this.video !== undefined && waited);
    return videoOk && audioOk && (this.video !== undefined || this.audio !== undefined);
  }

  /** One tag as received (`timestamp`: the RTMP message timestamp, ms). Throws FlvReadError. */
  read(tagType: FlvTagType, timestamp: number, body: Uint8Array): FlvRead {
    if (tagType === 18) return this.settled(this.readMetadata(body));
    this.firstMs ??= timestamp;
    this.latestMs = Math.max(this.latestMs ?? timestamp, timestamp);
    const read = tagType === 9 ? this.readVideo(body, timestamp) : this.readAudio(body, timestamp);
    return this.settled(read);
  }

  /** `changed` also when the tag made the formats ready (the audio wait ran out). */
  private settled(read: FlvRead): FlvRead {
    const ready = this.ready;
    if (ready && !this.readyBefore) {
      this.readyBefore = true;
      return { ...read, changed: true };
    }
    return read;
  }

  private readVideo(body: Uint8Array, dtsMs: number): FlvRead {
    const tag = flv(() => parseVideoTag(body));
    if (tag.codec === 'unsupported') {
      this.videoCodecName = tag.name;
      return { units: [], changed: false, refuse: `video codec ${tag.name} is not supported (H.264 or H.265 only)` };
    }
    this.videoSeen = true;
    this.videoCodecName = tag.codec === 'avc' ? 'H264' : 'H265';
    if (tag.packetType === 'sequence-header') return { units: [], changed: this.setVideoFormat(tag) };
    if (tag.packetType !== 'nalu') return NOTHING;
    const video = this.video;
    if (!video || video.format.codec !== this.videoCodecName) return { units: [], changed: false, frame: true };
    const codec = videoCodec(video.format.codec);
    let nalus: Uint8Array[];
    try {
      nalus = splitAvcc(tag.data, video.lengthSize, FLV_MAX_NALUS_PER_TAG);
    } catch (err) {
      if (err instanceof NalFramingError) throw new FlvReadError(err.message);
      throw err;
    }
    nalus = nalus.filter((n) => codec.isValidNalu(n));
    if (nalus.length === 0) return { units: [], changed: false, frame: true };
    const keyframe = tag.keyframe || codec.isKeyframe(nalus);
    const unit: AccessUnit = { track: FLV_VIDEO_TRACK, timestamp: flvVideoTimestamp(dtsMs + tag.compositionTime), keyframe, payloads: nalus };
    return { units: [unit], changed: false, frame: true };
  }

  private setVideoFormat(tag: CodedVideoTag): boolean {
    const next = codecData(() => videoFormatOfFlv(tag));
    const codec = videoCodec(next.format.codec);
    // A record without a complete set of parameter sets describes nothing yet.
    if (codec.parameterSets.some((k) => !next.format.parameterSets[k])) return false;
    if (this.video && sameFormat(this.video.format, next.format) && this.video.lengthSize === next.lengthSize) return false;
    this.video = next;
    return this.readyBefore;
  }

  private readAudio(body: Uint8Array, ms: number): FlvRead {
    const tag = flv(() => parseAudioTag(body));
    this.audioSeen = true;
    if (tag.codec !== 'aac') {
      const codec = `SoundFormat ${tag.soundFormat}`;
      const first = this.audioCodecName !== codec;
      this.audioCodecName = codec;
      if (first) {
        this.unsupportedAudio = { index: FLV_AUDIO_TRACK, media: 'audio', codec, label: codec, reason: 'only AAC audio is carried from RTMP' };
        return { units: [], changed: this.readyBefore };
      }
      return NOTHING;
    }
    this.audioCodecName = 'AAC';
    this.unsupportedAudio = undefined;
    if (tag.packetType === 'sequence-header') {
      const format = codecData(() => audioFormatOfFlv(tag.data));
      if (this.audio && equalBytes(this.audio.format.asc, format.asc)) return NOTHING;
      this.audio = { format, clock: new FlvAudioClock(format.parsed.sampleRate, format.parsed.samplesPerFrame) };
      return { units: [], changed: this.readyBefore };
    }
    const audio = this.audio;
    if (!audio || tag.data.byteLength === 0) return NOTHING;
    if (tag.data.byteLength > FLV_MAX_AAC_FRAME) throw new FlvReadError(`AAC frame of ${tag.data.byteLength} bytes`);
    return { units: [{ track: FLV_AUDIO_TRACK, timestamp: audio.clock.timestamp(ms), keyframe: false, payloads: [tag.data] }], changed: false };
  }

  /** `[@setDataFrame] onMetaData {…}`: which tracks the publisher announces; other script data is ignored. */
  private readMetadata(data: Uint8Array): FlvRead {
    let tag;
    try {
      tag = parseScriptTag(data);
    } catch (err) {
      if (err instanceof FlvError || err instanceof Amf0Error) return NOTHING;
      throw err;
    }
    if (tag.name !== 'onMetaData') return NOTHING;
    const props = tag.value;
    const has = (k: string): boolean => { const v = amf0Property(props, k); return v !== undefined && v !== null; };
    const meta: Metadata = {};
    if (has('videocodecid') || has('width')) meta.hasVideo = true;
    if (has('audiocodecid') || has('audiosamplerate')) meta.hasAudio = true;
    const hasVideo = amf0Property(props, 'hasVideo');
    const hasAudio = amf0Property(props, 'hasAudio');
    if (typeof hasVideo === 'boolean') meta.hasVideo = hasVideo;
    if (typeof hasAudio === 'boolean') meta.hasAudio = hasAudio;
    this.metadata = meta;
    return NOTHING;
  }
}

function sameFormat(a: VideoFormat, b: VideoFormat): boolean {
  return a.codec === b.codec && (['vps', 'sps', 'pps'] as const).every((k) => equalBytes(a.parameterSets[k], b.parameterSets[k]));
}

/** FLV or AMF0 the publisher got wrong (protocol-rtmp's typed errors). */
function flv<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof FlvError || err instanceof Amf0Error) throw new FlvReadError(err.message);
    throw err;
  }
}

/** Codec data the publisher got wrong. */
function codecData<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof FlvFormatError) throw new FlvReadError(err.message);
    throw err;
  }
}
