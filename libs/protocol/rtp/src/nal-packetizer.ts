/**
 * The packetizing core shared by the H.264 (RFC 6184 mode 1) and H.265 (RFC 7798, no DONL)
 * encoders: a NAL unit that fits the payload budget goes alone, a larger one is cut into
 * fragmentation units, and with `aggregate` consecutive small NAL units share one
 * aggregation packet (each prefixed by a 16-bit size). The marker bit is set on the last
 * packet of the access unit. Only the header bytes differ per codec: `NalPayloadScheme`.
 */
import type { RtpPacket } from './packet/rtp-packet';
import { ByteAllocator, FramedRtpPackets, FramedRtpWriter, framedRtpByteLength } from './packet/framed-rtp';
import type { Sequencer } from './sequencer';

export interface NalPayloadScheme {
  /** Bytes of the NAL unit header (1 for H.264, 2 for H.265); fragments carry what follows. */
  readonly nalHeaderSize: number;
  /** Bytes before the fragment's data: FU indicator + FU header (2) / payload header + FU header (3). */
  readonly fragmentHeaderSize: number;
  /** Bytes of the aggregation packet's own header: STAP-A (1) / AP (2). */
  readonly aggregationHeaderSize: number;
  /** Throws the codec's encode error for a NAL unit that cannot be sent. */
  check(nalu: Uint8Array): void;
  /** Writes the fragmentation headers into `out[offset..offset + fragmentHeaderSize)`. */
  writeFragmentHeader(nalu: Uint8Array, start: boolean, end: boolean, out: Uint8Array, offset: number): void;
  /** Writes the aggregation packet header into `out[offset..offset + aggregationHeaderSize)`. */
  writeAggregationHeader(nalus: readonly Uint8Array[], out: Uint8Array, offset: number): void;
}

export interface NalPacketizerOptions {
  sequencer: Sequencer;
  /** Default 96. */
  payloadType?: number;
  /** Largest RTP payload, bytes (the MTU budget). Default 1400. */
  maxPayloadSize?: number;
  /** Aggregate consecutive small NAL units. Default false. */
  aggregate?: boolean;
  /** Where `encodeFramed` buffers come from (e.g. a stream's BufferSlab). Default: a new one each. */
  allocate?: ByteAllocator;
}

const AGGREGATED_SIZE_FIELD = 2;

export class NalPacketizer {
  private readonly sequencer: Sequencer;
  private readonly payloadType: number;
  readonly maxPayloadSize: number;
  private readonly aggregate: boolean;
  private readonly allocate: ByteAllocator | undefined;

  constructor(private readonly scheme: NalPayloadScheme, options: NalPacketizerOptions) {
    this.allocate = options.allocate;
    this.sequencer = options.sequencer;
    this.payloadType = options.payloadType ?? 96;
    this.maxPayloadSize = options.maxPayloadSize ?? 1400;
    this.aggregate = options.aggregate ?? false;
  }

  /** Packetizes one access unit (NAL units without start codes) at RTP `timestamp`. */
  encode(nalus: readonly Uint8Array[], timestamp: number): RtpPacket[] {
    const plan = this.plan(nalus);
    return plan.map((payload, i) => ({
      header: {
        marker: i === plan.length - 1,
        payloadType: this.payloadType,
        sequenceNumber: this.sequencer.nextSequenceNumber(),
        timestamp: timestamp >>> 0,
        ssrc: this.sequencer.ssrc,
        csrc: [],
        padding: false,
      },
      // A NAL unit sent alone is a view of the input; fragments and aggregates are built.
      payload: payload.kind === 'single' ? payload.nalu : this.buildPayload(payload),
    }));
  }

  /**
   * The same packets as `encode`, written once into one buffer, RFC 4571-framed after
   * `headroom` free bytes (FramedRtpWriter): no payload or packet is built on its own.
   */
  encodeFramed(nalus: readonly Uint8Array[], timestamp: number, headroom = 0): FramedRtpPackets {
    const plan = this.plan(nalus);
    let size = headroom;
    for (const p of plan) size += framedRtpByteLength(this.payloadSize(p));
    const writer = new FramedRtpWriter(size, headroom, this.allocate);
    for (let i = 0; i < plan.length; i++) {
      const p = plan[i];
      const at = writer.begin(this.payloadSize(p), {
        marker: i === plan.length - 1, payloadType: this.payloadType, sequenceNumber: this.sequencer.nextSequenceNumber(),
        timestamp, ssrc: this.sequencer.ssrc,
      });
      this.writePayload(p, writer.buffer, at);
    }
    return writer.done();
  }

  /** What each packet of the access unit carries, in order (nothing is copied yet). */
  private plan(nalus: readonly Uint8Array[]): PayloadPlan[] {
    const plan: PayloadPlan[] = [];
    let pending: Uint8Array[] = [];
    let pendingSize = this.scheme.aggregationHeaderSize;
    const flush = (): void => {
      if (pending.length === 1) plan.push({ kind: 'single', nalu: pending[0] });
      else if (pending.length > 1) plan.push({ kind: 'aggregate', nalus: pending, size: pendingSize });
      pending = [];
      pendingSize = this.scheme.aggregationHeaderSize;
    };
    const { nalHeaderSize, fragmentHeaderSize } = this.scheme;
    const chunk = this.maxPayloadSize - fragmentHeaderSize;
    for (const nalu of nalus) {
      this.scheme.check(nalu);
      if (nalu.byteLength > this.maxPayloadSize) {
        flush();
        for (let pos = nalHeaderSize; pos < nalu.byteLength; pos += chunk) {
          plan.push({ kind: 'fragment', nalu, from: pos, to: Math.min(pos + chunk, nalu.byteLength) });
        }
      } else if (this.aggregate) {
        if (pendingSize + AGGREGATED_SIZE_FIELD + nalu.byteLength > this.maxPayloadSize) flush();
        pending.push(nalu);
        pendingSize += AGGREGATED_SIZE_FIELD + nalu.byteLength;
      } else {
        plan.push({ kind: 'single', nalu });
      }
    }
    flush();
    return plan;
  }

  private payloadSize(p: PayloadPlan): number {
    if (p.kind === 'single') return p.nalu.byteLength;
    if (p.kind === 'fragment') return this.scheme.fragmentHeaderSize + p.to - p.from;
    return p.size;
  }

  private buildPayload(p: PayloadPlan): Uint8Array {
    const out = new Uint8Array(this.payloadSize(p));
    this.writePayload(p, out, 0);
    return out;
  }

  private writePayload(p: PayloadPlan, out: Uint8Array, offset: number): void {
    if (p.kind === 'single') {
      out.set(p.nalu, offset);
    } else if (p.kind === 'fragment') {
      this.scheme.writeFragmentHeader(p.nalu, p.from === this.scheme.nalHeaderSize, p.to === p.nalu.byteLength, out, offset);
      out.set(p.nalu.subarray(p.from, p.to), offset + this.scheme.fragmentHeaderSize);
    } else {
      let pos = offset + this.scheme.aggregationHeaderSize;
      for (const n of p.nalus) {
        out[pos] = n.byteLength >> 8;
        out[pos + 1] = n.byteLength & 0xff;
        out.set(n, pos + AGGREGATED_SIZE_FIELD);
        pos += AGGREGATED_SIZE_FIELD + n.byteLength;
      }
      this.scheme.writeAggregationHeader(p.nalus, out, offset);
    }
  }
}

/** One packet's payload: a NAL unit alone, a fragment of one, or an aggregation of several. */
type PayloadPlan =
  | { kind: 'single'; nalu: Uint8Array }
  | { kind: 'fragment'; nalu: Uint8Array; from: number; to: number }
  | { kind: 'aggregate'; nalus: Uint8Array[]; size: number };
