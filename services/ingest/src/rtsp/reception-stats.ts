/**
 * Reception statistics of one received RTP stream, RFC 3550 Appendix A.1 (sequence numbers,
 * loss) and A.8 (interarrival jitter), and the report block they make (§6.4.1, A.3).
 * Time is passed in (ms), so the whole thing is deterministic.
 */
import { ReportBlock, timestampDiff } from '@streamgate/protocol-rtp';

const SEQ_MOD = 0x10000;
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;

interface SourceState {
  ssrc: number;
  baseSeq: number;
  maxSeq: number;
  /** Shifted count of sequence wraps (A.1 `cycles`). */
  cycles: number;
  badSeq: number;
  received: number;
  expectedPrior: number;
  receivedPrior: number;
  /** A.8, in timestamp units. */
  jitter: number;
  lastArrival?: number;
  lastTimestamp?: number;
  /** Middle 32 bits of the last SR's NTP time and when it arrived (for LSR/DLSR). */
  lastSr?: { middle: number; arrivalMs: number };
}

export class ReceptionStats {
  private source: SourceState | undefined;
  /** Losses of earlier SSRCs (a camera restarting its encoder changes SSRC). */
  private lostBefore = 0;

  constructor(readonly clockRate: number) {}

  /** One RTP packet arrived at `arrivalMs`. */
  received(ssrc: number, seq: number, timestamp: number, arrivalMs: number): void {
    let s = this.source;
    if (!s || s.ssrc !== ssrc) {
      if (s) this.lostBefore += Math.max(0, this.cumulativeLost(s));
      s = this.source = this.init(ssrc, seq);
    } else if (!this.updateSeq(s, seq)) {
      return;
    }
    s.received++;
    // A.8: D(i-1, i) = (R_i - R_{i-1}) - (S_i - S_{i-1}), in timestamp units.
    const arrival = (arrivalMs * this.clockRate) / 1000;
    if (s.lastArrival !== undefined && s.lastTimestamp !== undefined) {
      const d = Math.abs(arrival - s.lastArrival - timestampDiff(s.lastTimestamp, timestamp));
      s.jitter += (d - s.jitter) / 16;
    }
    s.lastArrival = arrival;
    s.lastTimestamp = timestamp;
  }

  /** An RTCP SR of the source arrived (RFC 3550 §6.4.1 LSR). */
  senderReport(ssrc: number, ntpMiddle32: number, arrivalMs: number): void {
    if (this.source && this.source.ssrc === ssrc) this.source.lastSr = { middle: ntpMiddle32, arrivalMs };
  }

  get ssrc(): number | undefined {
    return this.source?.ssrc;
  }

  get packetsLost(): number {
    return this.lostBefore + (this.source ? Math.max(0, this.cumulativeLost(this.source)) : 0);
  }

  get jitterSeconds(): number {
    return this.source ? this.source.jitter / this.clockRate : 0;
  }

  /** The report block for an RR sent at `nowMs`; moves the interval counters (A.3). */
  reportBlock(nowMs: number): ReportBlock | undefined {
    const s = this.source;
    if (!s) return undefined;
    const expected = this.extendedMax(s) - s.baseSeq + 1;
    const expectedInterval = expected - s.expectedPrior;
    const receivedInterval = s.received - s.receivedPrior;
    s.expectedPrior = expected;
    s.receivedPrior = s.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.min(255, Math.floor((lostInterval * 256) / expectedInterval));
    return {
      ssrc: s.ssrc,
      fractionLost,
      cumulativeLost: Math.max(-0x800000, Math.min(0x7fffff, this.cumulativeLost(s))),
      extendedHighestSequence: this.extendedMax(s) >>> 0,
      jitter: Math.floor(s.jitter) >>> 0,
      lastSenderReport: s.lastSr?.middle ?? 0,
      // Units of 1/65536 s.
      delaySinceLastSenderReport: s.lastSr ? Math.min(0xffffffff, Math.floor(((nowMs - s.lastSr.arrivalMs) * 65536) / 1000)) : 0,
    };
  }

  private init(ssrc: number, seq: number): SourceState {
    return { ssrc, baseSeq: seq, maxSeq: seq, cycles: 0, badSeq: SEQ_MOD + 1, received: 0, expectedPrior: 0, receivedPrior: 0, jitter: 0 };
  }

  private extendedMax(s: SourceState): number {
    return s.cycles + s.maxSeq;
  }

  private cumulativeLost(s: SourceState): number {
    return this.extendedMax(s) - s.baseSeq + 1 - s.received;
  }

  /** A.1 update_seq; false when the packet is left out of the statistics. */
  private updateSeq(s: SourceState, seq: number): boolean {
    const udelta = (seq - s.maxSeq) & 0xffff;
    if (udelta < MAX_DROPOUT) {
      // In order, with a permissible gap; a smaller raw value here means the counter wrapped.
      if (seq < s.maxSeq) s.cycles += SEQ_MOD;
      s.maxSeq = seq;
    } else if (udelta <= SEQ_MOD - MAX_MISORDER) {
      // A very large jump: two sequential packets after it mean the sender restarted.
      if (seq !== s.badSeq) {
        s.badSeq = (seq + 1) & 0xffff;
        return false;
      }
      this.lostBefore += Math.max(0, this.cumulativeLost(s));
      Object.assign(s, this.init(s.ssrc, seq));
    }
    // else: duplicate or reordered packet, counted as received.
    return true;
  }
}
