/**
 * Receiver statistics of one RTP stream as RFC 3550 defines them:
 *  - Appendix A.3: expected = extended highest sequence number - base + 1; lost = expected -
 *    received (late packets count as received, duplicates are not recorded here).
 *  - Appendix A.8: interarrival jitter J += (|D(i-1,i)| - J) / 16, where D is the difference of
 *    the relative transit times of two consecutive packets, in RTP clock units (§6.4.1).
 * A source that restarts (new SSRC, sequence reset) starts new A.1 state; the counts of the
 * sources before it are kept as totals, so `lost` never drops when a camera reconnects.
 */
import { seqDiff, timestampDiff } from './sequence';

interface SourceCounts {
  baseSeq: number;
  maxSeq: number;
  cycles: number;
  received: number;
}

export class ReceptionStats {
  private source: SourceCounts | undefined;
  private priorExpected = 0;
  private priorReceived = 0;
  private previous: { arrivalMs: number; timestamp: number } | undefined;
  private jitter = 0;

  constructor(readonly clockRate: number) {}

  /** Packets expected from the sequence numbers seen (all sources). */
  get expected(): number {
    const s = this.source;
    return this.priorExpected + (s ? s.cycles + s.maxSeq - s.baseSeq + 1 : 0);
  }

  get received(): number {
    return this.priorReceived + (this.source?.received ?? 0);
  }

  /** Cumulative packets lost (never negative: duplicates and early packets can push it below 0). */
  get lost(): number {
    return Math.max(0, this.expected - this.received);
  }

  /** Interarrival jitter in RTP clock units. */
  get jitterTicks(): number {
    return this.jitter;
  }

  get jitterSeconds(): number {
    return this.jitter / this.clockRate;
  }

  /** A new source (first packet, SSRC change, sequence restart) begins at `seq` (A.1 init_seq). */
  startSource(seq: number): void {
    if (this.source) {
      this.priorExpected += this.source.cycles + this.source.maxSeq - this.source.baseSeq + 1;
      this.priorReceived += this.source.received;
    }
    this.source = { baseSeq: seq, maxSeq: seq, cycles: 0, received: 0 };
    this.previous = undefined;
  }

  /** One unique packet of the current source, as it arrived. */
  record(seq: number, timestamp: number, arrivalMs: number): void {
    const s = this.source;
    if (!s) return;
    s.received++;
    if (seqDiff(s.maxSeq, seq) > 0) {
      // A.1: the sequence number wrapped when it moved forward but got numerically smaller.
      if (seq < s.maxSeq) s.cycles += 0x10000;
      s.maxSeq = seq;
    }
    const p = this.previous;
    if (p) {
      const d = ((arrivalMs - p.arrivalMs) * this.clockRate) / 1000 - timestampDiff(p.timestamp, timestamp);
      this.jitter += (Math.abs(d) - this.jitter) / 16;
    }
    this.previous = { arrivalMs, timestamp };
  }
}
