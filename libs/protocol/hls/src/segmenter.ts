/**
 * Cuts a live stream into LL-HLS partial segments and segments of fMP4 (draft-pantos-hls-
 * rfc8216bis §3.1.2, §4.4.4.9): samples in, `HlsPart`s and `HlsSegment`s out, no I/O.
 *
 * - A segment starts on a video keyframe once the current one has lasted the target segment
 *   duration, so every segment starts with an independent part (§4.4.3.8 INDEPENDENT-SEGMENTS).
 * - EXT-X-TARGETDURATION MUST NOT change (RFC 8216 §6.2.1) and every EXTINF, rounded to the
 *   nearest integer, MUST be ≤ it (§4.3.3.1). It is decided once, when the first segment is
 *   complete (before any playlist can be served): the configured duration rounded up, or the
 *   first segment's rounded duration if its GOP was longer, at most `maxTargetDurationS`. A
 *   later GOP too long for it is cut without a keyframe (that segment is not independent).
 * - A part is closed once it has lasted the target part duration; its duration is counted on
 *   the lead track (video, or audio for audio-only streams). PART-TARGET is fixed with the
 *   target duration (the longest part of the first segment) and a part is closed early rather
 *   than grow past it (§4.4.3.7: every part ≤ PART-TARGET, and ≥ 85% of it except independent
 *   or final parts).
 * - A video sample of a new init version (new parameter sets, `MediaSample.initVersion`) starts
 *   a new segment marked as a discontinuity (RFC 8216 §4.3.2.3, §4.3.2.5: a new EXT-X-MAP).
 * - A sample is held until the next one of its track arrives: its duration is their distance,
 *   except across a hole in the source (`sampleDuration`).
 * - Only the last `segmentCount` segments are kept; parts are kept for the segments a client
 *   can still ask for at the live edge (§6.2.2: parts older than ~3 target durations go).
 */
import { buildFragment, FragmentSample, FragmentTrack } from '@streamgate/protocol-fmp4';

export interface SegmenterTrack {
  id: number;
  timescale: number;
}

export interface SegmenterOptions {
  video?: SegmenterTrack;
  audio?: SegmenterTrack;
  /** Target segment duration, seconds (segments are cut on the next keyframe after it). */
  segmentDurationS: number;
  /** Target part duration, seconds. */
  partDurationS: number;
  /** Complete segments kept (and listed in the playlist). */
  segmentCount: number;
  /**
   * A segment larger than this is closed without waiting for a keyframe (a source with a
   * very long GOP); the next one then does not start independent. Default 64 MiB.
   */
  maxSegmentBytes?: number;
  /**
   * Upper bound of EXT-X-TARGETDURATION, seconds (default 10, at least the configured segment
   * duration rounded up): the first segment of a source with a longer GOP is cut here.
   */
  maxTargetDurationS?: number;
  /** Called after each part (and segment) is produced. */
  onUpdate?: () => void;
}

export interface MediaSample {
  /** Decode and presentation time, ticks of the track's timescale, non-negative. */
  dts: number;
  pts: number;
  keyframe: boolean;
  chunks: readonly Uint8Array[];
  nalUnits: boolean;
  /** When the source delivered it (Unix ms): EXT-X-PROGRAM-DATE-TIME. */
  wallClockMs: number;
  /** Video: the init segment (parameter sets) it decodes with; a change starts a discontinuity. */
  initVersion?: number;
}

export interface HlsPart {
  msn: number;
  index: number;
  durationS: number;
  independent: boolean;
  bytes: Uint8Array;
  /** Source wall clock of the part's last lead-track sample (muxing latency). */
  wallClockEndMs: number;
}

export interface HlsSegment {
  msn: number;
  /** Wall clock of the first sample (EXT-X-PROGRAM-DATE-TIME). */
  programDateTimeMs: number;
  durationS: number;
  /** Parts of the segment; emptied once they are too old to be listed. */
  parts: HlsPart[];
  /** The whole segment (its parts back to back), set when it is complete. */
  bytes?: Uint8Array;
  complete: boolean;
  /** Starts with a keyframe. */
  independent: boolean;
  /** The init segment (EXT-X-MAP) its samples decode with. */
  initVersion: number;
  /** Starts a new init version: EXT-X-DISCONTINUITY before it (RFC 8216 §4.3.2.3). */
  discontinuity: boolean;
}

interface Pending {
  sample: MediaSample;
}

interface PartBuilder {
  video: FragmentSample[];
  audio: FragmentSample[];
  videoBase: number;
  audioBase: number;
  /** Lead-track ticks in the part. */
  leadTicks: number;
  independent: boolean;
  wallClockEndMs: number;
}

const DEFAULT_MAX_SEGMENT_BYTES = 64 << 20;
export const DEFAULT_MAX_TARGET_DURATION_S = 10;
/**
 * Segments are cut before their duration reaches target + 0.5 s (EXTINF rounds to the target at
 * most); this margin keeps the 5-decimal EXTINF text from rounding up onto the boundary.
 */
const ROUNDING_MARGIN_S = 0.001;
/** A part that is not the last of its segment lasts at least this share of PART-TARGET (RFC 8216bis §4.4.4.9). */
const MIN_PART_SHARE = 0.85;
/** Samples further apart than this (and than a part) have a hole between them, seconds. */
const MIN_HOLE_S = 0.5;

export class HlsSegmenter {
  readonly segments: HlsSegment[] = [];
  /** Largest part duration so far, seconds. */
  maxPartDurationS = 0;
  /** EXT-X-TARGETDURATION and PART-TARGET, fixed when the first segment completes. */
  private fixedTargetS: number | undefined;
  private fixedPartTargetS: number | undefined;
  /** EXT-X-DISCONTINUITY-SEQUENCE: discontinuities dropped from the front of the list. */
  discontinuitySequence = 0;
  /** Segments cut without a keyframe (a GOP longer than the target duration). */
  forcedCuts = 0;
  private initVersion = 0;
  private readonly lastDuration: { video?: number; audio?: number } = {};
  private afterHole = false;
  private fragmentSequence = 1;
  private nextMsn = 0;
  private current: HlsSegment | undefined;
  private currentTicks = 0;
  private currentBytes = 0;
  private part: PartBuilder | undefined;
  private pendingVideo: Pending | undefined;
  private pendingAudio: Pending | undefined;
  private readonly lead: 'video' | 'audio';
  private readonly leadTimescale: number;
  private readonly maxSegmentBytes: number;
  private readonly maxTargetS: number;
  /** Totals for metrics. */
  partsProduced = 0;
  segmentsProduced = 0;

  constructor(private readonly options: SegmenterOptions) {
    if (!options.video && !options.audio) throw new Error('HlsSegmenter needs a video or an audio track');
    this.lead = options.video ? 'video' : 'audio';
    this.leadTimescale = (options.video ?? options.audio as SegmenterTrack).timescale;
    this.maxSegmentBytes = options.maxSegmentBytes ?? DEFAULT_MAX_SEGMENT_BYTES;
    if (!(options.segmentDurationS > 0) || !(options.partDurationS > 0) || options.partDurationS > options.segmentDurationS) {
      throw new Error(`HlsSegmenter: need 0 < part duration (${options.partDurationS}) ≤ segment duration (${options.segmentDurationS})`);
    }
    this.maxTargetS = Math.max(Math.ceil(options.segmentDurationS), Math.floor(options.maxTargetDurationS ?? DEFAULT_MAX_TARGET_DURATION_S));
  }

  /** The segment being built (its parts so far), if any. */
  get building(): HlsSegment | undefined {
    return this.current;
  }

  /** msn and index of the next part to be produced. */
  nextPart(): { msn: number; index: number } {
    if (this.current) return { msn: this.current.msn, index: this.current.parts.length };
    return { msn: this.nextMsn, index: 0 };
  }

  pushVideo(sample: MediaSample): void {
    const track = this.options.video;
    if (!track) return;
    const previous = this.pendingVideo;
    this.pendingVideo = { sample };
    if (!previous) return;
    const { duration, hole } = this.sampleDuration('video', track.timescale, previous.sample, sample);
    this.commitVideo(previous.sample, duration);
    if (hole && this.lead === 'video') this.endAtHole();
  }

  pushAudio(sample: MediaSample): void {
    const track = this.options.audio;
    if (!track) return;
    const previous = this.pendingAudio;
    this.pendingAudio = { sample };
    if (!previous) return;
    const { duration, hole } = this.sampleDuration('audio', track.timescale, previous.sample, sample);
    this.commitAudio(previous.sample, duration);
    if (hole && this.lead === 'audio') this.endAtHole();
  }

  /** The part ends at a hole, and the segment with it: the next lead sample starts a new one. */
  private endAtHole(): void {
    this.closePart();
    this.afterHole = true;
  }

  /**
   * A sample lasts until the next one of its track, except across a hole (a source gone for a
   * moment, a re-publish): further apart than PART-TARGET once it is fixed (before that, than
   * max(part duration, MIN_HOLE_S), so a slow camera's frame duration can set it), it lasts as
   * long as the sample before it, and the part and segment end there so the next ones start at
   * their true decode time (tfdt). One sample never outlasts PART-TARGET because of a gap.
   */
  private sampleDuration(track: 'video' | 'audio', timescale: number, s: MediaSample, next: MediaSample): { duration: number; hole: boolean } {
    const gap = Math.max(1, next.dts - s.dts);
    const holeTicks = (this.fixedPartTargetS ?? Math.max(this.options.partDurationS, MIN_HOLE_S)) * timescale;
    if (gap <= holeTicks) {
      this.lastDuration[track] = gap;
      return { duration: gap, hole: false };
    }
    return { duration: this.lastDuration[track] ?? Math.max(1, Math.round(this.options.partDurationS * timescale)), hole: true };
  }

  private commitVideo(s: MediaSample, duration: number): void {
    const segmentTicks = this.options.segmentDurationS * this.leadTimescale;
    const version = s.initVersion ?? this.initVersion;
    if (!this.current) {
      if (!s.keyframe) return; // the first segment starts on a keyframe
      this.initVersion = version;
      this.startSegment(s, true, false);
    } else if (version !== this.initVersion) {
      this.initVersion = version;
      this.closeSegment();
      this.startSegment(s, s.keyframe, true);
    } else if (this.afterHole) {
      if (!s.keyframe) this.forcedCuts++;
      this.closeSegment();
      this.startSegment(s, s.keyframe, false);
    } else if (s.keyframe && this.currentTicks >= segmentTicks) {
      this.closeSegment();
      this.startSegment(s, true, false);
    } else if (this.tooLongWith(duration) || this.currentBytes > this.maxSegmentBytes) {
      if (!s.keyframe) this.forcedCuts++;
      this.closeSegment();
      this.startSegment(s, s.keyframe, false);
    }
    this.addToPart('video', s, duration);
  }

  private commitAudio(s: MediaSample, duration: number): void {
    if (this.lead === 'video') {
      // Audio joins the segments video starts; what came before the first keyframe is dropped.
      if (!this.current) return;
      this.pushSample('audio', s, duration);
      return;
    }
    const segmentTicks = this.options.segmentDurationS * this.leadTimescale;
    if (!this.current) this.startSegment(s, true, false);
    else if (this.afterHole || this.currentTicks >= segmentTicks || this.tooLongWith(duration)) {
      this.closeSegment();
      this.startSegment(s, true, false);
    }
    this.addToPart('audio', s, duration);
  }

  /** Whether a lead sample of `duration` ticks would make the segment's EXTINF round above the target. */
  private tooLongWith(duration: number): boolean {
    const limitS = (this.fixedTargetS ?? this.maxTargetS) + 0.5 - ROUNDING_MARGIN_S;
    return this.currentTicks > 0 && this.currentTicks + duration > limitS * this.leadTimescale;
  }

  private addToPart(track: 'video' | 'audio', s: MediaSample, duration: number): void {
    this.afterHole = false;
    const partTicks = this.options.partDurationS * this.leadTimescale;
    const fixed = this.fixedPartTargetS;
    const part = this.part;
    if (part && (part.leadTicks >= partTicks || (fixed !== undefined && part.leadTicks + duration > fixed * this.leadTimescale))) {
      if (fixed !== undefined && !part.independent && part.leadTicks < MIN_PART_SHARE * fixed * this.leadTimescale) {
        // A long sample (a late frame) would push the part past PART-TARGET, and cut here the
        // part is too short to stand mid-segment: it ends its segment (RFC 8216bis §4.4.4.9).
        if (!s.keyframe) this.forcedCuts++;
        this.closeSegment();
        this.startSegment(s, s.keyframe, false);
      } else {
        this.closePart();
      }
    }
    this.pushSample(track, s, duration);
    if (this.part) this.part.leadTicks += duration;
    this.currentTicks += duration;
  }

  private pushSample(track: 'video' | 'audio', s: MediaSample, duration: number): void {
    if (!this.part) {
      this.part = { video: [], audio: [], videoBase: 0, audioBase: 0, leadTicks: 0, independent: false, wallClockEndMs: s.wallClockMs };
    }
    const part = this.part;
    const list = part[track];
    if (list.length === 0) {
      if (track === 'video') part.videoBase = s.dts;
      else part.audioBase = s.dts;
      if (track === this.lead) part.independent = s.keyframe;
    }
    if (track === this.lead) part.wallClockEndMs = s.wallClockMs;
    list.push({ duration, compositionOffset: s.pts - s.dts, keyframe: s.keyframe, chunks: s.chunks, nalUnits: s.nalUnits });
    for (const c of s.chunks) this.currentBytes += c.byteLength;
  }

  private startSegment(s: MediaSample, independent: boolean, discontinuity: boolean): void {
    this.current = {
      msn: this.nextMsn++, programDateTimeMs: s.wallClockMs, durationS: 0, parts: [], complete: false, independent, initVersion: this.initVersion, discontinuity,
    };
    this.currentTicks = 0;
    this.currentBytes = 0;
  }

  private closePart(): void {
    const part = this.part;
    const segment = this.current;
    this.part = undefined;
    if (!part || !segment || part.leadTicks === 0) return;
    const tracks: FragmentTrack[] = [];
    if (this.options.video) tracks.push({ id: this.options.video.id, baseMediaDecodeTime: part.videoBase, samples: part.video });
    if (this.options.audio) tracks.push({ id: this.options.audio.id, baseMediaDecodeTime: part.audioBase, samples: part.audio });
    const durationS = part.leadTicks / this.leadTimescale;
    segment.parts.push({ msn: segment.msn, index: segment.parts.length, durationS, independent: part.independent, bytes: buildFragment(this.fragmentSequence++, tracks), wallClockEndMs: part.wallClockEndMs });
    segment.durationS += durationS;
    this.maxPartDurationS = Math.max(this.maxPartDurationS, durationS);
    this.partsProduced++;
    this.options.onUpdate?.();
  }

  private closeSegment(): void {
    this.closePart();
    const segment = this.current;
    this.current = undefined;
    if (!segment || segment.parts.length === 0) return;
    let size = 0;
    for (const p of segment.parts) size += p.bytes.byteLength;
    const bytes = new Uint8Array(size);
    let pos = 0;
    for (const p of segment.parts) {
      bytes.set(p.bytes, pos);
      pos += p.bytes.byteLength;
    }
    segment.bytes = bytes;
    segment.complete = true;
    if (this.fixedTargetS === undefined) {
      this.fixedTargetS = Math.min(this.maxTargetS, Math.max(Math.ceil(this.options.segmentDurationS), Math.round(segment.durationS), 1));
      this.fixedPartTargetS = this.maxPartDurationS;
    }
    this.segments.push(segment);
    this.segmentsProduced++;
    while (this.segments.length > this.options.segmentCount) {
      if (this.segments.shift()?.discontinuity) this.discontinuitySequence++;
    }
    this.dropOldParts();
    this.options.onUpdate?.();
  }

  /** Parts are listed for the segments within three target durations of the live edge. */
  private dropOldParts(): void {
    const keepS = 3 * this.targetDurationS();
    let age = 0;
    for (let i = this.segments.length - 1; i >= 0; i--) {
      if (age > keepS) this.segments[i].parts = [];
      age += this.segments[i].durationS;
    }
  }

  /**
   * EXT-X-TARGETDURATION: every EXTINF rounded to the nearest integer is ≤ it (RFC 8216
   * §4.3.3.1); fixed once the first segment is complete (before that, the configured duration).
   */
  targetDurationS(): number {
    return this.fixedTargetS ?? Math.max(1, Math.ceil(this.options.segmentDurationS));
  }

  /** PART-TARGET: fixed with the target duration; 0 before the first part. */
  partTargetS(): number {
    return this.fixedPartTargetS ?? this.maxPartDurationS;
  }

  /** Whether part `index` of segment `msn` (or the whole segment, index undefined) exists. */
  has(msn: number, index?: number): boolean {
    const segment = this.find(msn);
    if (!segment) return false;
    if (index === undefined) return segment.complete;
    // A complete segment has all its parts, including those no longer listed.
    return segment.complete || index < segment.parts.length;
  }

  find(msn: number): HlsSegment | undefined {
    if (this.current?.msn === msn) return this.current;
    return this.segments.find((s) => s.msn === msn);
  }

  /** Bytes held by segments and parts (bounded by segmentCount × segment size). */
  get bufferedBytes(): number {
    let n = 0;
    for (const s of [...this.segments, ...(this.current ? [this.current] : [])]) {
      n += s.bytes?.byteLength ?? 0;
      for (const p of s.parts) n += p.bytes.byteLength;
    }
    return n;
  }
}
