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
 * Packets are raw RTP bytes whose fixed header is read in place (rtp-fields): ordering needs
 * only sequence number, timestamp and SSRC, so the one parse stays with the depacketizer. They
 * are passed through as given (views); nothing is copied or mutated. Released packets go to the
 * sink given at construction, in order, without a per-packet allocation.
 */
import type { RtpPacket } from './packet/rtp-packet';
import { rtpSequenceNumber, rtpSsrc, rtpTimestamp } from './packet/rtp-fields';
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
  /**
   * What a packet kept past `push` becomes (held for a gap, or on probation): a caller whose
   * packets are views into a buffer it reuses (batched UDP receive) copies them here. Packets
   * released at once are never copied. Default: kept as given.
   */
  retain?: (packet: Uint8Array) => Uint8Array;
}

/** Where a ReorderBuffer releases packets, in sequence order. */
export interface OrderedSink {
  /**
   * `arrivalMs` is the time given to `push` for this packet; `newSource` marks the first packet
   * of a source: the first ever, after an SSRC change or a sequence restart.
   */
  ordered(packet: Uint8Array, arrivalMs: number, newSource: boolean): void;
}

/** One packet in order, parsed, as the depacketizers take it. */
export interface OrderedPacket {
  packet: RtpPacket;
  /** Arrival time at ingest, ms. */
  arrivalMs: number;
  /** First packet of a source: downstream state (fragments, timestamps) no longer applies. */
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
  packet: Uint8Array;
  arrivalMs: number;
  seq: number;
  ssrc: number;
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
  private readonly retain: (packet: Uint8Array) => Uint8Array;
  private ssrc: number | undefined;
  /** The next sequence number to release. */
  private next = 0;
  private readonly held = new Map<number, Held>();
  /** In-sequence packets of a candidate new source (bounded by MIN_SEQUENTIAL). */
  private probation: Held[] = [];
  private sourceStartPending = false;
  private readonly released = new Int32Array(HISTORY).fill(-1);

  constructor(options: ReorderBufferOptions, private readonly sink: OrderedSink) {
    this.stats = new ReceptionStats(options.clockRate);
    this.maxPackets = Math.max(1, options.maxPackets ?? 32);
    this.maxDelayMs = options.maxDelayMs ?? 100;
    this.maxDropout = options.maxDropout ?? 3000;
    this.maxMisorder = options.maxMisorder ?? 100;
    this.retain = options.retain ?? ((p) => p);
  }

  get heldPackets(): number {
    return this.held.size + this.probation.length;
  }

  /** Takes one RTP packet (the caller checked version and fixed header); releases what is now in order. */
  push(packet: Uint8Array, arrivalMs: number): void {
    const seq = rtpSequenceNumber(packet);
    const ssrc = rtpSsrc(packet);
    const timestamp = rtpTimestamp(packet);
    if (this.ssrc === undefined) {
      // The first packet is released at once (it is `next`): nothing kept.
      this.begin([{ packet, arrivalMs, seq, ssrc }]);
      return;
    }
    if (ssrc !== this.ssrc) {
      this.candidate({ packet: this.retain(packet), arrivalMs, seq, ssrc });
      return;
    }
    const d = seqDiff(this.next, seq);
    if (d < -this.maxMisorder || d >= this.maxDropout) {
      this.candidate({ packet: this.retain(packet), arrivalMs, seq, ssrc });
      return;
    }
    if (this.probation.length > 0 && this.probation[0].ssrc === ssrc) this.dropProbation();
    if (d < 0) {
      if (this.released[seq % HISTORY] === seq) {
        this.counters.duplicates++;
      } else {
        this.counters.late++;
        this.stats.record(seq, timestamp, arrivalMs);
      }
      return;
    }
    if (this.held.has(seq)) {
      this.counters.duplicates++;
      return;
    }
    this.stats.record(seq, timestamp, arrivalMs);
    if (d === 0) {
      // The next one (almost every packet): through at once, never kept; it may complete what is held.
      this.emit(packet, seq, arrivalMs);
      this.next = seqAdd(this.next, 1);
      if (this.held.size > 0) {
        this.releaseInOrder();
        this.expire(arrivalMs);
      }
      return;
    }
    if (d >= this.maxPackets) {
      // Beyond the window: what is held can never complete.
      this.releaseAll();
      this.next = seq;
    }
    this.held.set(seq, { packet: this.retain(packet), arrivalMs, seq, ssrc });
    this.releaseInOrder();
    this.expire(arrivalMs);
  }

  /** Gives up gaps whose packets waited too long; call with the current time when input is quiet. */
  expire(nowMs: number): void {
    while (this.held.size > 0 && (this.held.size >= this.maxPackets || this.oldestArrival() <= nowMs - this.maxDelayMs)) {
      this.next = this.lowestHeld();
      this.releaseInOrder();
    }
  }

  /** Releases everything held, in order, gaps given up (the source stopped). */
  flush(): void {
    this.releaseAll();
    this.dropProbation();
  }

  private begin(entries: readonly Held[]): void {
    if (this.ssrc !== undefined) this.counters.resyncs++;
    const first = entries[0];
    this.ssrc = first.ssrc;
    this.next = first.seq;
    this.held.clear();
    this.released.fill(-1);
    this.stats.startSource(first.seq, first.ssrc);
    this.sourceStartPending = true;
    for (const e of entries) {
      this.stats.record(e.seq, rtpTimestamp(e.packet), e.arrivalMs);
      this.held.set(e.seq, e);
    }
    this.releaseInOrder();
  }

  private candidate(entry: Held): void {
    const last = this.probation[this.probation.length - 1];
    if (last && last.ssrc === entry.ssrc && entry.seq === seqAdd(last.seq, 1)) {
      this.probation.push(entry);
    } else {
      this.dropProbation();
      this.probation = [entry];
    }
    if (this.probation.length < MIN_SEQUENTIAL) return;
    const entries = this.probation;
    this.probation = [];
    this.releaseAll();
    this.begin(entries);
  }

  private dropProbation(): void {
    this.counters.discarded += this.probation.length;
    this.probation = [];
  }

  private releaseInOrder(): void {
    for (let e = this.held.get(this.next); e; e = this.held.get(this.next)) {
      this.held.delete(this.next);
      this.emit(e.packet, e.seq, e.arrivalMs);
      this.next = seqAdd(this.next, 1);
    }
  }

  private releaseAll(): void {
    while (this.held.size > 0) {
      this.next = this.lowestHeld();
      this.releaseInOrder();
    }
  }

  private emit(packet: Uint8Array, seq: number, arrivalMs: number): void {
    this.released[seq % HISTORY] = seq;
    const newSource = this.sourceStartPending;
    this.sourceStartPending = false;
    this.sink.ordered(packet, arrivalMs, newSource);
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
