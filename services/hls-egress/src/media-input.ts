/**
 * From `media.<s>.out` access units (RTP packets) to fMP4 samples on one timeline:
 * depacketize (RFC 6184 / 7798 / 3640), unwrap 32-bit RTP time, align the tracks through the
 * ingest wall clock (`receivedAt`), derive video decode times (B-frames), and feed the segmenter.
 *
 * Timeline: t0 is the arrival of the first video keyframe (first audio unit for audio-only).
 * A track's first unit maps to (receivedAt − t0) on it; from then on its own RTP clock counts.
 * TIMELINE_OFFSET_S keeps every decode time positive (B-frame DTS lie before their PTS).
 */
import type { AccessUnitMessage } from '@streamgate/contracts';
import { DecodeTimeEstimator, HlsSegmenter, MediaSample, frameDuration, reorderDepth } from '@streamgate/protocol-hls';
import { H264NalType, H265NalType, h264NalType, h265NalType } from '@streamgate/codec';
import { AacDecoder, H264Decoder, H265Decoder, parseRtpPacket, timestampDiff } from '@streamgate/protocol-rtp';
import type { StreamTracks } from './track-config';

const TIMELINE_OFFSET_S = 10;
/** Video units looked at to learn the reorder depth when no GOP was replayed. */
const DEPTH_PROBE_UNITS = 8;

class Unwrapper {
  private extended: number | undefined;
  private last = 0;

  next(rtp: number): number {
    this.extended = this.extended === undefined ? rtp >>> 0 : this.extended + timestampDiff(this.last, rtp);
    this.last = rtp >>> 0;
    return this.extended;
  }
}

interface VideoUnit {
  nalus: Uint8Array[];
  keyframe: boolean;
  receivedAt: number;
  initVersion: number;
}

export interface MediaInputEvents {
  /**
   * In-band parameter sets (the init segment is built, or a new version made when they changed):
   * returns the init version this unit and the ones after it decode with.
   */
  onParameterSets(params: { vps?: Uint8Array; sps?: Uint8Array; pps?: Uint8Array }): number;
  onDropped(reason: string): void;
}

export class MediaInput {
  private t0Ms: number | undefined;
  private readonly videoClock = new Unwrapper();
  private readonly audioClock = new Unwrapper();
  private videoBase: number | undefined;
  private audioBase: number | undefined;
  private readonly videoDecoder: H264Decoder | H265Decoder | undefined;
  private readonly audioDecoder: AacDecoder | undefined;
  private estimator: DecodeTimeEstimator<VideoUnit> | undefined;
  private probe: Array<{ pts: number; unit: VideoUnit }> = [];
  /** Set by `primeDepth` from the replayed GOP. */
  private depth: number | undefined;
  private frameTicks: number | undefined;
  private initVersion = 0;

  constructor(private readonly tracks: StreamTracks, private readonly segmenter: HlsSegmenter, private readonly events: MediaInputEvents) {
    if (tracks.video) this.videoDecoder = tracks.video.codec === 'H264' ? new H264Decoder() : new H265Decoder();
    if (tracks.audio) this.audioDecoder = new AacDecoder({ samplesPerFrame: tracks.audio.parsed.samplesPerFrame });
  }

  /** The GOP the packetizer replays tells how much the video reorders before any unit is muxed. */
  primeDepth(gop: readonly AccessUnitMessage[]): void {
    const videoId = this.tracks.video?.track.id;
    const pts: number[] = [];
    const clock = new Unwrapper();
    for (const au of gop) if (au.track === videoId) pts.push(clock.next(au.rtpTimestamp));
    if (pts.length >= DEPTH_PROBE_UNITS) {
      this.depth = reorderDepth(pts);
      this.frameTicks = frameDuration(pts, 0) || undefined;
    }
  }

  push(au: AccessUnitMessage): void {
    if (this.tracks.video && au.track === this.tracks.video.track.id) this.pushVideo(au);
    else if (this.tracks.audio && au.track === this.tracks.audio.track.id) this.pushAudio(au);
  }

  private pushVideo(au: AccessUnitMessage): void {
    const decoder = this.videoDecoder;
    const video = this.tracks.video;
    if (!decoder || !video) return;
    const nalus: Uint8Array[] = [];
    for (const p of au.packets) {
      const result = decoder.decode(parseRtpPacket(p));
      if (result.kind === 'complete') for (const u of result.units) nalus.push(...u.nalus);
    }
    if (nalus.length === 0) return;
    this.captureParameterSets(video.codec, nalus);
    const ext = this.videoClock.next(au.rtpTimestamp);
    if (this.videoBase === undefined) {
      if (!au.keyframe) return; // the timeline starts on a keyframe
      this.t0Ms = au.receivedAt;
      this.videoBase = ext;
    }
    const pts = ext - this.videoBase + TIMELINE_OFFSET_S * video.track.clockRate;
    const unit: VideoUnit = { nalus, keyframe: au.keyframe, receivedAt: au.receivedAt, initVersion: this.initVersion };
    if (!this.estimator) {
      if (this.depth === undefined || this.frameTicks === undefined) {
        this.probe.push({ pts, unit });
        if (this.probe.length < DEPTH_PROBE_UNITS) return;
        const probed = this.probe.map((p) => p.pts);
        this.depth = reorderDepth(probed);
        this.frameTicks = frameDuration(probed, Math.round(video.track.clockRate / 30));
      }
      this.estimator = new DecodeTimeEstimator<VideoUnit>(this.depth, this.frameTicks);
      const held = this.probe;
      this.probe = [];
      for (const h of held) this.emitVideo(this.estimator.push(h.pts, h.unit));
      if (held.length > 0) return;
    }
    this.emitVideo(this.estimator.push(pts, unit));
  }

  private emitVideo(timed: ReturnType<DecodeTimeEstimator<VideoUnit>['push']>): void {
    for (const t of timed) {
      const sample: MediaSample = {
        dts: t.dts, pts: t.pts, keyframe: t.unit.keyframe, chunks: t.unit.nalus, nalUnits: true, wallClockMs: t.unit.receivedAt, initVersion: t.unit.initVersion,
      };
      this.segmenter.pushVideo(sample);
    }
  }

  private pushAudio(au: AccessUnitMessage): void {
    const decoder = this.audioDecoder;
    const audio = this.tracks.audio;
    if (!decoder || !audio) return;
    const rate = audio.track.clockRate;
    for (const p of au.packets) {
      const result = decoder.decode(parseRtpPacket(p));
      if (result.kind !== 'complete') continue;
      for (const frame of result.units) {
        const ext = this.audioClock.next(frame.timestamp);
        if (this.t0Ms === undefined) {
          if (this.tracks.video) return; // audio waits for the video timeline
          this.t0Ms = au.receivedAt;
        }
        if (this.audioBase === undefined) this.audioBase = ext - Math.round(((au.receivedAt - this.t0Ms) * rate) / 1000);
        const time = ext - this.audioBase + TIMELINE_OFFSET_S * rate;
        if (time < 0) {
          this.events.onDropped('audio before the timeline start');
          continue;
        }
        this.segmenter.pushAudio({ dts: time, pts: time, keyframe: true, chunks: [frame.data], nalUnits: false, wallClockMs: au.receivedAt });
      }
    }
  }

  private captureParameterSets(codec: 'H264' | 'H265', nalus: readonly Uint8Array[]): void {
    const found: { vps?: Uint8Array; sps?: Uint8Array; pps?: Uint8Array } = {};
    for (const n of nalus) {
      if (codec === 'H264') {
        const t = h264NalType(n);
        if (t === H264NalType.Sps) found.sps = n;
        else if (t === H264NalType.Pps) found.pps = n;
      } else {
        const t = h265NalType(n);
        if (t === H265NalType.Vps) found.vps = n;
        else if (t === H265NalType.Sps) found.sps = n;
        else if (t === H265NalType.Pps) found.pps = n;
      }
    }
    if (found.sps || found.pps || found.vps) this.initVersion = this.events.onParameterSets(found);
  }
}
