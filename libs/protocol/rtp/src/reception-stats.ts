/**
 * Receiver statistics of one RTP stream, RFC 3550, kept by the ReorderBuffer of the track's one
 * receiver (RtpReceiver) and read for ingest's status and receiver reports:
 *  - Appendix A.1: extended highest sequence number (cycles); the ReorderBuffer decides when a
 *    new source begins (SSRC change, or a restart confirmed by the A.1 probation);
 *  - Appendix A.3: expected = extended highest - base + 1; lost = expected - received (late
 *    packets count as received); fraction lost per report interval;
 *  - Appendix A.8: interarrival jitter J += (|D(i-1,i)| - J) / 16, in RTP clock units;
 *  - §6.4.1: the report block of a receiver report, LSR/DLSR from the last sender report.
 * The losses of earlier sources are kept, so `packetsLost` never drops when a camera restarts.
 * Time is passed in (ms): deterministic.
 *
 */
import type { ReportBlock } from './rtcp/report-block';
import { seqDiff, timestampDiff } from './sequence';

const SEQ_MOD = 0x10000;

interface SourceState {
  ssrc: number | undefined;
  baseSeq: number;
  maxSeq: number;
  /** Shifted count of sequence wraps (A.1 `cycles`). */
  cycles: number;
  received: number;
  expectedPrior: number;
  receivedPrior: number;
  /** Middle 32 bits of the last SR's NTP time and when it arrived (LSR/DLSR). */
  lastSr?: { middle: number; arrivalMs: number };
}

export class ReceptionStats {
  private source: SourceState | undefined;
  /** Totals of the sources before the current one. */
  private priorExpected = 0;
  private priorReceived = 0;
  private lostBefore = 0;
  private previous: { arrivalMs: number; timestamp: number } | undefined;
  private jitter = 0;

  constructor(readonly clockRate: number) {}

  get ssrc(): number | undefined {
    return this.source?.ssrc;
  }

  /** Packets expected from the sequence numbers seen (all sources). */
  get expected(): number {
    return this.priorExpected + (this.source ? this.expectedOf(this.source) : 0);
  }

  get packetsReceived(): number {
    return this.priorReceived + (this.source?.received ?? 0);
  }

  /** Cumulative packets lost, all sources (each never below 0: duplicates can push it there). */
  get packetsLost(): number {
    return this.lostBefore + (this.source ? Math.max(0, this.lostOf(this.source)) : 0);
  }

  /** Interarrival jitter in RTP clock units. */
  get jitterTicks(): number {
    return this.jitter;
  }

  get jitterSeconds(): number {
    return this.jitter / this.clockRate;
  }

  /** A new source (first packet, SSRC change, sequence restart) begins at `seq` (A.1 init_seq). */
  startSource(seq: number, ssrc?: number): void {
    const s = this.source;
    if (s) {
      this.priorExpected += this.expectedOf(s);
      this.priorReceived += s.received;
      this.lostBefore += Math.max(0, this.lostOf(s));
    }
    this.source = { ssrc, baseSeq: seq, maxSeq: seq, cycles: 0, received: 0, expectedPrior: 0, receivedPrior: 0 };
    this.previous = undefined;
  }

  /** One unique packet of the current source, as it arrived (in or out of order). */
  record(seq: number, timestamp: number, arrivalMs: number): void {
    const s = this.source;
    if (!s) return;
    s.received++;
    if (seqDiff(s.maxSeq, seq) > 0) {
      // A.1: the sequence number wrapped when it moved forward but got numerically smaller.
      if (seq < s.maxSeq) s.cycles += SEQ_MOD;
      s.maxSeq = seq;
    }
    const p = this.previous;
    if (p) {
      // A.8: D(i-1, i) = (R_i - R_{i-1}) - (S_i - S_{i-1}), in timestamp units.
      const d = ((arrivalMs - p.arrivalMs) * this.clockRate) / 1000 - timestampDiff(p.timestamp, timestamp);
      this.jitter += (Math.abs(d) - this.jitter) / 16;
    }
    this.previous = { arrivalMs, timestamp };
  }

  /** An RTCP SR of the source arrived (RFC 3550 §6.4.1 LSR). */
  senderReport(ssrc: number, ntpMiddle32: number, arrivalMs: number): void {
    if (this.source && this.source.ssrc === ssrc) this.source.lastSr = { middle: ntpMiddle32, arrivalMs };
  }

  /** The report block for an RR sent at `nowMs`; moves the interval counters (A.3). */
  reportBlock(nowMs: number): ReportBlock | undefined {
    const s = this.source;
    if (!s || s.ssrc === undefined) return undefined;
    const expected = this.expectedOf(s);
    const expectedInterval = expected - s.expectedPrior;
    const receivedInterval = s.received - s.receivedPrior;
    s.expectedPrior = expected;
    s.receivedPrior = s.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.min(255, Math.floor((lostInterval * 256) / expectedInterval));
    return {
      ssrc: s.ssrc,
      fractionLost,
      // 24-bit signed on the wire.
      cumulativeLost: Math.max(-0x800000, Math.min(0x7fffff, this.lostOf(s))),
      extendedHighestSequence: (s.cycles + s.maxSeq) >>> 0,
      jitter: Math.floor(this.jitter) >>> 0,
      lastSenderReport: s.lastSr?.middle ?? 0,
      // Units of 1/65536 s.
      delaySinceLastSenderReport: s.lastSr ? Math.min(0xffffffff, Math.floor(((nowMs - s.lastSr.arrivalMs) * 65536) / 1000)) : 0,
    };
  }

  private expectedOf(s: SourceState): number {
    return s.cycles + s.maxSeq - s.baseSeq + 1;
  }

  private lostOf(s: SourceState): number {
    return this.expectedOf(s) - s.received;
  }
}
