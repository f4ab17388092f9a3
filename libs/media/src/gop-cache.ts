/**
 * The units since the latest video keyframe (all tracks), so a reader joining mid-stream
 * starts decoding at once. Bounded by count and bytes: when a GOP outgrows the bounds the
 * cache is emptied and stays closed until the next keyframe (a partial GOP is useless to a
 * decoder), rather than grown. Generic over what is cached: the packetizer keeps encoded
 * envelopes, egress keeps decoded access-unit messages.
 *
 * It also keeps the lead-in: the video unit just before the GOP's keyframe, which a new reader
 * gets first (`replay`). ffmpeg's RTSP demuxer gives the first video frame its parser splits no
 * timestamp (the parser starts at position -1, libavcodec/parser.c ff_fetch_timestamp), which
 * with B-frames (no pts to fill in from) made `-c copy` to mpegts/matroska/flv fail on the
 * first packet. With the lead-in that frame is a non-keyframe, which a stream copy drops before
 * its first keyframe and a decoder skips, as when joining a camera mid-GOP.
 *
 * A stream's first keyframe has no unit before it (nor one after a clear): `makeLeadIn`, when
 * given, makes one for it (a skipped picture, see h264SkippedPicture), on first use only.
 */
export interface GopCacheLimits {
  /** Most units kept (all tracks). */
  maxUnits: number;
  /** Most bytes kept, as `sizeOf` counts them. */
  maxBytes: number;
}

export class GopCache<T> {
  private items: T[] = [];
  private bytes = 0;
  /** False between an overflow (or a clear) and the next keyframe. */
  private open = false;
  /** The latest video unit when it is not a keyframe (the next keyframe's lead-in). */
  private lastVideo: T | undefined;
  private lead: T | undefined;
  /** The cached GOP's keyframe while its lead-in is still to be made (makeLeadIn). */
  private unled: T | undefined;
  overflows = 0;

  constructor(
    private readonly limits: GopCacheLimits,
    private readonly sizeOf: (unit: T) => number,
    private readonly makeLeadIn?: (keyframe: T) => T | undefined,
  ) {}

  get size(): number {
    return this.items.length;
  }

  get byteLength(): number {
    return this.bytes;
  }

  /** Starts with a video keyframe, or is empty. */
  get units(): readonly T[] {
    return this.items;
  }

  /** The lead-in of the cached GOP (undefined without a GOP or before a stream's first keyframe). */
  get leadIn(): T | undefined {
    if (this.items.length === 0) return undefined;
    if (this.unled !== undefined && this.items[0] === this.unled) {
      this.lead = this.makeLeadIn?.(this.unled);
      this.unled = undefined;
    }
    return this.lead;
  }

  /** What a new reader is sent first: the lead-in (when known) and the GOP; empty without a GOP. */
  get replay(): T[] {
    const lead = this.leadIn;
    return lead === undefined ? this.items.slice() : [lead, ...this.items];
  }

  /** The lead-in of `keyframe` when it starts the cached GOP (a reader starting at a live keyframe). */
  leadInOf(keyframe: T): T | undefined {
    return this.items[0] === keyframe ? this.leadIn : undefined;
  }

  /** `video`: the unit is video (a keyframe or not); only video units lead in. */
  add(unit: T, videoKeyframe: boolean, video = videoKeyframe): void {
    if (videoKeyframe) {
      this.items = [];
      this.bytes = 0;
      this.open = true;
      this.lead = this.lastVideo;
      this.unled = this.lastVideo === undefined ? unit : undefined;
    }
    if (video) this.lastVideo = videoKeyframe ? undefined : unit;
    if (!this.open) return;
    const size = this.sizeOf(unit);
    if (this.items.length + 1 > this.limits.maxUnits || this.bytes + size > this.limits.maxBytes) {
      this.overflows++;
      // Closed until the next keyframe; the unit before that keyframe is still followed.
      this.items = [];
      this.bytes = 0;
      this.open = false;
      return;
    }
    this.items.push(unit);
    this.bytes += size;
  }

  clear(): void {
    this.items = [];
    this.bytes = 0;
    this.open = false;
    this.lastVideo = undefined;
    this.lead = undefined;
    this.unled = undefined;
  }
}
