/**
 * The receiving side of one RTP stream (one media section of a camera), without I/O: packets in
 * as they arrive; out in sequence order (ReorderBuffer: window, duplicates, late packets, SSRC
 * changes and sequence restarts) as batches; RFC 3550 reception statistics for our receiver
 * reports on the way. Each batch begins at most one new source, and says so, so the one parse of
 * the packets further on (the depacketizer) knows where a source's state stops applying.
 *
 * Ingest's TrackReceiver reads the sockets around it and sends the receiver reports; the
 * packetizer depacketizes the batches it hands on.
 */
import { RTP_FIXED_HEADER_SIZE, RTP_VERSION } from './packet/rtp-packet';
import type { ReceptionStats } from './reception-stats';
import { OrderedSink, ReorderBuffer, ReorderBufferOptions } from './reorder-buffer';

/** Packets in sequence order; `newSource`: the first one begins a new source. */
export type ReceivedBatchSink = (packets: Uint8Array[], receivedAt: number, newSource: boolean) => void;

/** RFC 3550 §5.1: version 2 and a whole fixed header, else it is not RTP. */
export function looksLikeRtp(packet: Uint8Array): boolean {
  return packet.byteLength >= RTP_FIXED_HEADER_SIZE && packet[0] >> 6 === RTP_VERSION;
}

export class RtpReceiver implements OrderedSink {
  readonly reorder: ReorderBuffer;
  private batch: Uint8Array[] = [];
  private batchAt = 0;
  private batchNewSource = false;

  constructor(options: ReorderBufferOptions, private readonly onBatch: ReceivedBatchSink) {
    this.reorder = new ReorderBuffer(options, this);
  }

  get stats(): ReceptionStats {
    return this.reorder.stats;
  }

  /** Packets released in order and not yet handed on. */
  get pending(): boolean {
    return this.batch.length > 0;
  }

  /** One packet as it arrived; false (and nothing kept) when it is not RTP. */
  receive(packet: Uint8Array, arrivalMs: number): boolean {
    if (!looksLikeRtp(packet)) return false;
    this.reorder.push(packet, arrivalMs);
    return true;
  }

  /** Gives up gaps that waited too long by `nowMs` (time moved on another track). */
  expire(nowMs: number): void {
    this.reorder.expire(nowMs);
  }

  /** Hands what was released so far on as one batch. */
  flush(): void {
    if (this.batch.length === 0) return;
    const packets = this.batch;
    this.batch = [];
    this.onBatch(packets, this.batchAt, this.batchNewSource);
  }

  ordered(packet: Uint8Array, arrivalMs: number, newSource: boolean): void {
    // A new source starts its own batch: the flag describes the batch's first packet.
    if (newSource && this.batch.length > 0) this.flush();
    if (this.batch.length === 0) {
      this.batchAt = arrivalMs;
      this.batchNewSource = newSource;
    }
    this.batch.push(packet);
  }
}
