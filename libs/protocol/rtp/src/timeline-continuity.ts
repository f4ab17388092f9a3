import { RtpWallClock } from './rtp-wallclock';
import { timestampDiff, wrapTimestamp } from './sequence';

/**
 * Keeps one output track's RTP timestamps continuous across source generations (a camera that
 * reconnects, an RTMP publisher that comes back under the same key, a backup source taking
 * over). Each new source starts its own clock (a camera's random base, FLV time from 0), so the
 * raw timestamps jump; readers that stayed connected would see time go backwards or leap, and
 * recorders fail on it. After `rebase()`, the first unit of the new source is placed where the
 * old timeline puts its arrival time (RFC 3550 §5.1: timestamps advance with the sampling
 * clock, a gap in media is a gap in timestamps), through the least-delayed RTP ↔ wall-clock
 * mapping egress also keeps for its sender reports (RtpWallClock), less `REBASE_MARGIN_MS`.
 * That mapping only moves when a unit arrives less delayed than any before, and readers
 * (ffmpeg) shift their timestamps back by as much when it does; the margin keeps the new
 * source's units (a keyframe, then frames with larger composition offsets, arrival jitter) from
 * being that unit, also for an egress mapping that saw fewer units than ours. The gap in
 * timestamps is the margin longer than the outage. Every later timestamp keeps the same offset,
 * so the new source's own spacing (and B-frame order) is kept exactly.
 */
export const REBASE_MARGIN_MS = 250;

/**
 * Where a timeline stands, for a process that takes the stream over and must continue it
 * (a packetizer replacing one that died): the mapping's RTP timestamp at `atMs`, and the
 * newest timestamp sent.
 */
export interface TimelinePosition {
  rtpTimestamp: number;
  atMs: number;
  newest: number;
}

export class TimelineContinuity {
  private offset = 0;
  private readonly wallclock: RtpWallClock;
  /** Newest (largest) timestamp sent: the new source never starts at or before it. */
  private newest: number | undefined;
  private rebasePending = false;

  constructor(readonly clockRate: number) {
    this.wallclock = new RtpWallClock({ clockRate });
  }

  /** The next timestamp starts a new source: re-anchor it on the timeline readers have. */
  rebase(): void {
    if (this.newest !== undefined) this.rebasePending = true;
  }

  /** This timeline at `nowMs` (undefined before its first unit), for `resume` in another process. */
  position(nowMs: number): TimelinePosition | undefined {
    const rtpTimestamp = this.wallclock.rtpAt(nowMs);
    if (rtpTimestamp === undefined || this.newest === undefined) return undefined;
    return { rtpTimestamp, atMs: nowMs, newest: this.newest };
  }

  /**
   * Continues a timeline another process kept (its `position`, before any unit here): the
   * first unit is placed as after `rebase()`, at its arrival time on that timeline.
   */
  resume(position: TimelinePosition): void {
    if (this.newest !== undefined) return;
    this.wallclock.observe(position.rtpTimestamp >>> 0, position.atMs);
    this.newest = position.newest >>> 0;
    this.rebasePending = true;
  }

  /** The output timestamp of a unit with `sourceTimestamp` that arrived at `arrivalMs` (Unix ms). */
  map(sourceTimestamp: number, arrivalMs: number): number {
    if (this.rebasePending && this.newest !== undefined) {
      const atArrival = this.wallclock.rtpAt(arrivalMs - REBASE_MARGIN_MS) ?? this.newest;
      const target = timestampDiff(this.newest, atArrival) > 0 ? atArrival : wrapTimestamp(this.newest + 1);
      this.offset = timestampDiff(sourceTimestamp, target);
      this.rebasePending = false;
    }
    const out = wrapTimestamp(sourceTimestamp + this.offset);
    this.wallclock.observe(out, arrivalMs);
    if (this.newest === undefined || timestampDiff(this.newest, out) > 0) this.newest = out;
    return out;
  }
}
