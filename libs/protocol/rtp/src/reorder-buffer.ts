/**
 * Puts the RTP packets of one stream (one media section) back in sequence order before they
 * are depacketized, within a small window, and notices when the sender restarts.
 *
 *  - In-order packets are released at once; a packet after a gap is held until the gap fills,
 *    until `maxPackets` are held, or until the oldest held packet waited `maxDelayMs` (measured
 *    on the arrival times given, so the buffer stays pure). Then the gap is given up as lost.
 *  - Duplicates (of held or recently released packets) are dropped; packets that arrive after
 *    their gap was given up are dropped as late.
 *  - Sequence numbers are compared modulo 2^16 (RFC 3550 §A.1). A step beyond `maxDropout`
 *    forward or `maxMisorder` backward, or another SSRC, is a new source only once
 *    MIN_SEQUENTIAL packets of it arrive in sequence (the A.1 probation), so one stray packet
 *    cannot flush the stream. Then what is held is released, and the first packet of the new
 *    source is flagged `newSource`: downstream state (fragments, timestamps) no longer applies.
 *  - Loss and jitter are kept in `stats` (RFC 3550 A.3, A.8).
 * Packets are passed through as given (views); nothing is copied or mutated.
 */
import type { RtpPacket } from './packet/rtp-packet';
import { ReceptionStats } from './reception-stats';
import { seqAdd, seqDiff } from './sequence';

export interface ReorderBufferOptions {
  /** RTP clock rate of the stream, for jitter. */
  clockRate: number;
  /** Most packets held while waiting for a missing one; also the window span. Default 32. */
  maxPackets?: number;
  /** Longest a packet is held for a missing predecessor, ms. Default 100. */
  maxDelayMs?: number;
  /** Forward sequence step that means a restart (A.1 MAX_DROPOUT). Default 3000. */
  maxDropout?: number;
  /** Backward sequence step that means a restart (A.1 MAX_MISORDER). Default 100. */
  maxMisorder?: number;
}

export interface OrderedPacket {
  packet: RtpPacket;
  /** Arrival time given to `push`, ms. */
  arrivalMs: number;
  /** First packet of a source: the first ever, after an SSRC change or a sequence restart. */
  newSource: boolean;
}

export interface ReorderCounters {
  duplicates: number;
  late: number;
  /** Source changes after the first (SSRC changes and sequence restarts). */
  resyncs: number;
  /** Packets of a would-be new source that never passed probation. */
  discarded: number;
}

interface Held {
  packet: RtpPacket;
  arrivalMs: number;
}

/** RFC 3550 A.1 MIN_SEQUENTIAL. */
const MIN_SEQUENTIAL = 2;
/** Released sequence numbers remembered to tell a duplicate from a late packet. */
const HISTORY = 256;

export class ReorderBuffer {
  readonly stats: ReceptionStats;
  readonly counters: ReorderCounters = { duplicates: 0, late: 0, resyncs: 0, discarded: 0 };
  private readonly maxPackets: number;
  private readonly maxDelayMs: number;
  private readonly maxDropout: number;
  private readonly maxMisorder: number;
  private ssrc: number | undefined;
  /** The next sequence number to release. */
  private next = 0;
  private readonly held = new Map<number, Held>();
  /** In-sequence packets of a candidate new source (bounded by MIN_SEQUENTIAL). */
  private probation: Held[] = [];
  private sourceStartPending = false;
  private readonly released = new Int32Array(HISTORY).fill(-1);

  constructor(options: ReorderBufferOptions) {
    this.stats = new ReceptionStats(options.clockRate);
    this.maxPackets = Math.max(1, options.maxPackets ?? 32);
    this.maxDelayMs = options.maxDelayMs ?? 100;
    this.maxDropout = options.maxDropout ?? 3000;
    this.maxMisorder = options.maxMisorder ?? 100;
  }

  get heldPackets(): number {
    return this.held.size + this.probation.length;
  }

  /** Takes one packet; returns the packets now in order. */
  push(packet: RtpPacket, arrivalMs: number): OrderedPacket[] {
    const out: OrderedPacket[] = [];
    const { ssrc, sequenceNumber: seq, timestamp } = packet.header;
    if (this.ssrc === undefined) {
      this.begin([{ packet, arrivalMs }], out);
      return out;
    }
    if (ssrc !== this.ssrc) {
      this.candidate({ packet, arrivalMs }, out);
      return out;
    }
    const d = seqDiff(this.next, seq);
    if (d < -this.maxMisorder || d >= this.maxDropout) {
      this.candidate({ packet, arrivalMs }, out);
      return out;
    }
    if (this.probation.length > 0 && this.probation[0].packet.header.ssrc === ssrc) this.dropProbation();
    if (d < 0) {
      if (this.released[seq % HISTORY] === seq) {
        this.counters.duplicates++;
      } else {
        this.counters.late++;
        this.stats.record(seq, timestamp, arrivalMs);
      }
      return out;
    }
    if (this.held.has(seq)) {
      this.counters.duplicates++;
      return out;
    }
    this.stats.record(seq, timestamp, arrivalMs);
    if (d === 0 && this.held.size === 0) {
      // The next one with nothing waiting (almost every packet): through at once, nothing held.
      this.emit(packet, arrivalMs, out);
      this.next = seqAdd(this.next, 1);
      return out;
    }
    if (d >= this.maxPackets) {
      // Beyond the window: what is held can never complete.
      this.releaseAll(out);
      this.next = seq;
    }
    this.held.set(seq, { packet, arrivalMs });
    this.releaseInOrder(out);
    out.push(...this.expire(arrivalMs));
    return out;
  }

  /** Gives up gaps whose packets waited too long; call with the current time when input is quiet. */
  expire(nowMs: number): OrderedPacket[] {
    const out: OrderedPacket[] = [];
    while (this.held.size > 0 && (this.held.size >= this.maxPackets || this.oldestArrival() <= nowMs - this.maxDelayMs)) {
      this.next = this.lowestHeld();
      this.releaseInOrder(out);
    }
    return out;
  }

  /** Releases everything held, in order, gaps given up (the source stopped). */
  flush(): OrderedPacket[] {
    const out: OrderedPacket[] = [];
    this.releaseAll(out);
    this.dropProbation();
    return out;
  }

  private begin(entries: readonly Held[], out: OrderedPacket[]): void {
    if (this.ssrc !== undefined) this.counters.resyncs++;
    const first = entries[0].packet.header;
    this.ssrc = first.ssrc;
    this.next = first.sequenceNumber;
    this.held.clear();
    this.released.fill(-1);
    this.stats.startSource(first.sequenceNumber);
    this.sourceStartPending = true;
    for (const e of entries) {
      this.stats.record(e.packet.header.sequenceNumber, e.packet.header.timestamp, e.arrivalMs);
      this.held.set(e.packet.header.sequenceNumber, e);
    }
    this.releaseInOrder(out);
  }

  private candidate(entry: Held, out: OrderedPacket[]): void {
    const h = entry.packet.header;
    const last = this.probation[this.probation.length - 1]?.packet.header;
    if (last && last.ssrc === h.ssrc && h.sequenceNumber === seqAdd(last.sequenceNumber, 1)) {
      this.probation.push(entry);
    } else {
      this.dropProbation();
      this.probation = [entry];
    }
    if (this.probation.length < MIN_SEQUENTIAL) return;
    const entries = this.probation;
    this.probation = [];
    this.releaseAll(out);
    this.begin(entries, out);
  }

  private dropProbation(): void {
    this.counters.discarded += this.probation.length;
    this.probation = [];
  }

  private releaseInOrder(out: OrderedPacket[]): void {
    for (let e = this.held.get(this.next); e; e = this.held.get(this.next)) {
      this.held.delete(this.next);
      this.emit(e.packet, e.arrivalMs, out);
      this.next = seqAdd(this.next, 1);
    }
  }

  private releaseAll(out: OrderedPacket[]): void {
    while (this.held.size > 0) {
      this.next = this.lowestHeld();
      this.releaseInOrder(out);
    }
  }

  private emit(packet: RtpPacket, arrivalMs: number, out: OrderedPacket[]): void {
    const seq = packet.header.sequenceNumber;
    this.released[seq % HISTORY] = seq;
    out.push({ packet, arrivalMs, newSource: this.sourceStartPending });
    this.sourceStartPending = false;
  }

  /** Held sequence numbers all lie within maxPackets after `next`, so the smallest distance wins. */
  private lowestHeld(): number {
    let best = this.next;
    let bestDistance = Infinity;
    for (const seq of this.held.keys()) {
      const d = seqDiff(this.next, seq);
      if (d < bestDistance) {
        bestDistance = d;
        best = seq;
      }
    }
    return best;
  }

  private oldestArrival(): number {
    let oldest = Infinity;
    for (const e of this.held.values()) oldest = Math.min(oldest, e.arrivalMs);
    return oldest;
  }
}
