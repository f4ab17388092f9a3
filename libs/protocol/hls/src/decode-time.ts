/**
 * Decode times for video whose units carry only presentation times (RTP timestamps are PTS,
 * RFC 6184 §5.1) and arrive in decode order. With B-frames PTS goes backwards; fMP4 needs a
 * strictly increasing decode time (ISO/IEC 14496-12 §8.6.1.2).
 *
 * The decode-time sequence of a stream is its presentation times in ascending order, shifted
 * back by the reorder delay. With a reorder depth D (the most earlier frames that present after
 * a frame), frame i's DTS is the smallest PTS not yet used among frames 0..i+D, minus D frame
 * durations, which keeps PTS ≥ DTS. D is learned from the first GOP the muxer sees (the
 * packetizer replays one on start); streams without B-frames have D = 0 and no delay.
 */

export interface TimedUnit<T> {
  /** Presentation time, unwrapped ticks. */
  pts: number;
  /** Decode time, unwrapped ticks. */
  dts: number;
  unit: T;
}

/** The most reordering accepted (x264 b-pyramid with 3 B-frames needs 2; HEVC up to ~4). */
export const MAX_REORDER_DEPTH = 4;

/** Reorder depth of a run of presentation times in decode order. */
export function reorderDepth(pts: readonly number[]): number {
  let depth = 0;
  for (let i = 0; i < pts.length; i++) {
    let later = 0;
    for (let j = Math.max(0, i - 16); j < i; j++) if (pts[j] > pts[i]) later++;
    depth = Math.max(depth, later);
  }
  return Math.min(depth, MAX_REORDER_DEPTH);
}

/** The smallest step between distinct presentation times: one frame's duration. */
export function frameDuration(pts: readonly number[], fallback: number): number {
  const sorted = [...pts].sort((a, b) => a - b);
  let min = Infinity;
  for (let i = 1; i < sorted.length; i++) {
    const step = sorted[i] - sorted[i - 1];
    if (step > 0 && step < min) min = step;
  }
  return Number.isFinite(min) ? min : fallback;
}

export class DecodeTimeEstimator<T> {
  private readonly window: Array<{ pts: number; unit: T }> = [];
  /** PTS values received and not yet used as a DTS, ascending. */
  private readonly unused: number[] = [];
  private lastDts: number | undefined;
  /**
   * @param depth reorder depth (see `reorderDepth`)
   * @param frameDuration ticks between frames (see `frameDuration`): the DTS shift is depth × this
   */
  constructor(readonly depth: number, private readonly frameDuration: number) {}

  /** Feeds one unit in decode order; returns the units whose DTS is now known. */
  push(pts: number, unit: T): Array<TimedUnit<T>> {
    this.window.push({ pts, unit });
    const at = this.unused.findIndex((p) => p > pts);
    if (at < 0) this.unused.push(pts);
    else this.unused.splice(at, 0, pts);
    const out: Array<TimedUnit<T>> = [];
    while (this.window.length > this.depth) out.push(this.emit());
    return out;
  }

  /** Units still held (end of stream). */
  flush(): Array<TimedUnit<T>> {
    const out: Array<TimedUnit<T>> = [];
    while (this.window.length > 0) out.push(this.emit());
    return out;
  }

  private emit(): TimedUnit<T> {
    const first = this.window.shift() as { pts: number; unit: T };
    const smallest = this.unused.shift() as number;
    let dts = smallest - this.depth * this.frameDuration;
    // Strictly increasing even when the source breaks the reorder depth it started with.
    if (this.lastDts !== undefined && dts <= this.lastDts) dts = this.lastDts + 1;
    this.lastDts = dts;
    return { pts: first.pts, dts, unit: first.unit };
  }
}
