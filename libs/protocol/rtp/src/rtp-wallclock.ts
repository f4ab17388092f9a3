import { timestampDiff, wrapTimestamp } from './sequence';

/**
 * Maps a track's RTP clock to wall-clock time for RTCP sender reports (RFC 3550 §6.4.1).
 *
 * Readers (ffmpeg, GStreamer) re-derive their RTP↔NTP mapping from every SR, so it must not
 * move with arrival jitter. The mapping keeps the *least delayed* observation: the largest
 * `media time − arrival time` seen, which only changes when a unit arrives earlier relative to
 * its timestamp than any before. It decays slowly so a source clock that runs a little slow
 * is followed, and it resets when the RTP timeline jumps.
 */
export interface RtpWallClockOptions {
  clockRate: number;
  /** How fast the anchor may drift down to follow a slow source clock, ms per second. Default 1 (1000 ppm). */
  decayMsPerSecond?: number;
  /** A change of the offset larger than this is a timeline jump: re-anchor. Default 1000 ms. */
  jumpMs?: number;
}

export class RtpWallClock {
  private extended: number | undefined;
  private lastRtp = 0;
  /** Largest (media ms − arrival ms) seen, decayed; the anchor of the mapping. */
  private offsetMs: number | undefined;
  private offsetAtMs = 0;
  private readonly decay: number;
  private readonly jumpMs: number;

  constructor(private readonly options: RtpWallClockOptions) {
    this.decay = options.decayMsPerSecond ?? 1;
    this.jumpMs = options.jumpMs ?? 1000;
  }

  /** One unit with RTP timestamp `rtp` arrived at `arrivalMs` (Unix ms). */
  observe(rtp: number, arrivalMs: number): void {
    this.extended = this.extended === undefined ? rtp : this.extended + timestampDiff(this.lastRtp, rtp);
    this.lastRtp = rtp >>> 0;
    const offset = (this.extended * 1000) / this.options.clockRate - arrivalMs;
    const current = this.current(arrivalMs);
    if (current === undefined || offset > current || current - offset > this.jumpMs) {
      this.offsetMs = offset;
      this.offsetAtMs = arrivalMs;
    }
  }

  /** The RTP timestamp (32-bit) that corresponds to `nowMs`, or undefined before any unit. */
  rtpAt(nowMs: number): number | undefined {
    const offset = this.current(nowMs);
    if (offset === undefined) return undefined;
    const ticks = Math.round(((nowMs + offset) * this.options.clockRate) / 1000);
    return wrapTimestamp(ticks);
  }

  private current(nowMs: number): number | undefined {
    if (this.offsetMs === undefined) return undefined;
    return this.offsetMs - (Math.max(0, nowMs - this.offsetAtMs) / 1000) * this.decay;
  }
}
