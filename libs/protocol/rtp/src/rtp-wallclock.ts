import { timestampDiff, wrapTimestamp } from './sequence';

/**
 * Maps a track's RTP clock to wall-clock time for RTCP sender reports (RFC 3550 §6.4.1).
 *
 * Readers (ffmpeg, GStreamer) re-derive their RTP↔NTP mapping from every SR, so it must not
 * move with arrival jitter. The mapping keeps the *least delayed* observation: the largest
 * `media time − arrival time` seen, which only changes when a unit arrives earlier relative to
 * its timestamp than any before. It decays slowly so a source clock that runs a little slow
 * is followed, and it resets when the RTP timeline jumps.
 *
 * Once settled, a less-delayed unit moves the mapping no faster than `slewMsPerSecond`:
 * ffmpeg re-derives every timestamp from each sender report, so a mapping that moved 20 ms
 * between two reports moved that reader's timestamps back 20 ms (an AAC frame is 21 ms:
 * "non-monotonous DTS"). That happened when a source came back (a camera reconnect, an ingest
 * takeover) and its first units arrived later than the ones after. It is settled `settleMs`
 * after it was anchored, or as soon as a report used it (`rtpForReport`): a reader that joined a new
 * stream in its first seconds got the start report, then one 5 s later from a mapping that
 * had jumped 26 ms (CI, loaded: audio DTS back 4.7 ms, ffmpeg aborted).
 */
export interface RtpWallClockOptions {
  clockRate: number;
  /** How fast the anchor may drift down to follow a slow source clock, ms per second. Default 1 (1000 ppm). */
  decayMsPerSecond?: number;
  /** A change of the offset larger than this is a timeline jump: re-anchor. Default 1000 ms. */
  jumpMs?: number;
  /** How long after anchoring a less-delayed unit moves the mapping at once. Default 2000 ms (egress anchors on a GOP of that age). */
  settleMs?: number;
  /** After that, how fast it may move toward a less-delayed unit, ms per second. Default 2. */
  slewMsPerSecond?: number;
}

export class RtpWallClock {
  private extended: number | undefined;
  private lastRtp = 0;
  /** Largest (media ms − arrival ms) seen, decayed; the anchor of the mapping. */
  private offsetMs: number | undefined;
  private offsetAtMs = 0;
  /** When the mapping was anchored (first unit, or a jump). */
  private anchoredAtMs = 0;
  private lastObservedAtMs = 0;
  /** A report used the mapping since it was anchored: it only slews from now on. */
  private published = false;
  private readonly decay: number;
  private readonly jumpMs: number;
  private readonly settleMs: number;
  private readonly slew: number;

  constructor(private readonly options: RtpWallClockOptions) {
    this.decay = options.decayMsPerSecond ?? 1;
    this.jumpMs = options.jumpMs ?? 1000;
    this.settleMs = options.settleMs ?? 2000;
    this.slew = options.slewMsPerSecond ?? 2;
  }

  /** One unit with RTP timestamp `rtp` arrived at `arrivalMs` (Unix ms). */
  observe(rtp: number, arrivalMs: number): void {
    this.extended = this.extended === undefined ? rtp : this.extended + timestampDiff(this.lastRtp, rtp);
    this.lastRtp = rtp >>> 0;
    const offset = (this.extended * 1000) / this.options.clockRate - arrivalMs;
    const current = this.current(arrivalMs);
    const sinceLast = Math.max(0, arrivalMs - this.lastObservedAtMs);
    this.lastObservedAtMs = arrivalMs;
    if (current === undefined || Math.abs(offset - current) > this.jumpMs) {
      this.anchor(offset, arrivalMs);
      this.anchoredAtMs = arrivalMs;
      this.published = false;
    } else if (offset > current) {
      const settled = this.published || arrivalMs - this.anchoredAtMs >= this.settleMs;
      this.anchor(settled ? Math.min(offset, current + (sinceLast / 1000) * this.slew) : offset, arrivalMs);
    }
  }

  private anchor(offsetMs: number, atMs: number): void {
    this.offsetMs = offsetMs;
    this.offsetAtMs = atMs;
  }

  /** rtpAt for a sender report: readers now hold the mapping, so from here on it only slews. */
  rtpForReport(nowMs: number): number | undefined {
    const rtp = this.rtpAt(nowMs);
    if (rtp !== undefined) this.published = true;
    return rtp;
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
