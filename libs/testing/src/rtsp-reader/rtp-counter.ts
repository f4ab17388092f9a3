import { seqDiff } from '@streamgate/protocol-rtp';

/**
 * Per-track RTP accounting for readers: packets, bytes and sequence gaps (RFC 3550 §6.4.1
 * "cumulative number of packets lost", counted from the reader's side).
 */
export interface RtpTrackStats {
  packets: number;
  bytes: number;
  /** Sequence numbers skipped (sum of forward gaps). */
  lost: number;
  /** Packets that arrived behind the highest sequence seen (reordered or duplicated). */
  late: number;
  /** Frames on the RTP channel that were not RTP version 2. */
  invalid: number;
  ssrcChanges: number;
  /** Date.now() of the first and last RTP packet, 0 before any. */
  firstAt: number;
  lastAt: number;
}

export function emptyRtpStats(): RtpTrackStats {
  return { packets: 0, bytes: 0, lost: 0, late: 0, invalid: 0, ssrcChanges: 0, firstAt: 0, lastAt: 0 };
}

/** Counters of `later` minus `earlier` (for a measurement window); times come from `later`. */
export function diffRtpStats(later: RtpTrackStats, earlier: RtpTrackStats): RtpTrackStats {
  return {
    packets: later.packets - earlier.packets,
    bytes: later.bytes - earlier.bytes,
    lost: later.lost - earlier.lost,
    late: later.late - earlier.late,
    invalid: later.invalid - earlier.invalid,
    ssrcChanges: later.ssrcChanges - earlier.ssrcChanges,
    firstAt: later.firstAt,
    lastAt: later.lastAt,
  };
}

export class RtpCounter {
  private readonly s = emptyRtpStats();
  private expected = -1;
  private ssrc = -1;

  /** `head` holds at least the 12-byte fixed RTP header; `length` is the whole packet's size. */
  onPacket(head: Uint8Array, length: number, now: number): void {
    if (head.length < 12 || head[0] >> 6 !== 2) {
      this.s.invalid++;
      return;
    }
    const seq = (head[2] << 8) | head[3];
    const ssrc = ((head[8] << 24) | (head[9] << 16) | (head[10] << 8) | head[11]) >>> 0;
    if (ssrc !== this.ssrc) {
      if (this.ssrc !== -1) this.s.ssrcChanges++;
      this.ssrc = ssrc;
      this.expected = -1;
    }
    this.s.packets++;
    this.s.bytes += length;
    if (this.s.firstAt === 0) this.s.firstAt = now;
    this.s.lastAt = now;
    if (this.expected === -1) {
      this.expected = (seq + 1) & 0xffff;
      return;
    }
    const gap = seqDiff(this.expected, seq);
    if (gap < 0) {
      this.s.late++;
      return;
    }
    this.s.lost += gap;
    this.expected = (seq + 1) & 0xffff;
  }

  stats(): RtpTrackStats {
    return { ...this.s };
  }
}
