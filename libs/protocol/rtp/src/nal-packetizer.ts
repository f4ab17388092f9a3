/**
 * The packetizing core shared by the H.264 (RFC 6184 mode 1) and H.265 (RFC 7798, no DONL)
 * encoders: a NAL unit that fits the payload budget goes alone, a larger one is cut into
 * fragmentation units, and with `aggregate` consecutive small NAL units share one
 * aggregation packet (each prefixed by a 16-bit size). The marker bit is set on the last
 * packet of the access unit. Only the header bytes differ per codec: `NalPayloadScheme`.
 */
import type { RtpPacket } from './packet/rtp-packet';
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
  /** Writes the fragmentation headers into `out[0..fragmentHeaderSize)`. */
  writeFragmentHeader(nalu: Uint8Array, start: boolean, end: boolean, out: Uint8Array): void;
  /** Writes the aggregation packet header into `out[0..aggregationHeaderSize)`. */
  writeAggregationHeader(nalus: readonly Uint8Array[], out: Uint8Array): void;
}

export interface NalPacketizerOptions {
  sequencer: Sequencer;
  /** Default 96. */
  payloadType?: number;
  /** Largest RTP payload, bytes (the MTU budget). Default 1400. */
  maxPayloadSize?: number;
  /** Aggregate consecutive small NAL units. Default false. */
  aggregate?: boolean;
}

const AGGREGATED_SIZE_FIELD = 2;

export class NalPacketizer {
  private readonly sequencer: Sequencer;
  private readonly payloadType: number;
  readonly maxPayloadSize: number;
  private readonly aggregate: boolean;

  constructor(private readonly scheme: NalPayloadScheme, options: NalPacketizerOptions) {
    this.sequencer = options.sequencer;
    this.payloadType = options.payloadType ?? 96;
    this.maxPayloadSize = options.maxPayloadSize ?? 1400;
    this.aggregate = options.aggregate ?? false;
  }

  /** Packetizes one access unit (NAL units without start codes) at RTP `timestamp`. */
  encode(nalus: readonly Uint8Array[], timestamp: number): RtpPacket[] {
    const payloads: Uint8Array[] = [];
    let pending: Uint8Array[] = [];
    let pendingSize = this.scheme.aggregationHeaderSize;
    const flush = (): void => {
      if (pending.length === 1) payloads.push(pending[0]);
      else if (pending.length > 1) payloads.push(this.aggregation(pending, pendingSize));
      pending = [];
      pendingSize = this.scheme.aggregationHeaderSize;
    };
    for (const nalu of nalus) {
      this.scheme.check(nalu);
      if (nalu.byteLength > this.maxPayloadSize) {
        flush();
        this.fragment(nalu, payloads);
      } else if (this.aggregate) {
        if (pendingSize + AGGREGATED_SIZE_FIELD + nalu.byteLength > this.maxPayloadSize) flush();
        pending.push(nalu);
        pendingSize += AGGREGATED_SIZE_FIELD + nalu.byteLength;
      } else {
        payloads.push(nalu);
      }
    }
    flush();
    return payloads.map((payload, i) => ({
      header: {
        marker: i === payloads.length - 1,
        payloadType: this.payloadType,
        sequenceNumber: this.sequencer.nextSequenceNumber(),
        timestamp: timestamp >>> 0,
        ssrc: this.sequencer.ssrc,
        csrc: [],
        padding: false,
      },
      payload,
    }));
  }

  private fragment(nalu: Uint8Array, out: Uint8Array[]): void {
    const { nalHeaderSize, fragmentHeaderSize } = this.scheme;
    const chunk = this.maxPayloadSize - fragmentHeaderSize;
    for (let pos = nalHeaderSize; pos < nalu.byteLength; pos += chunk) {
      const end = Math.min(pos + chunk, nalu.byteLength);
      const p = new Uint8Array(fragmentHeaderSize + end - pos);
      this.scheme.writeFragmentHeader(nalu, pos === nalHeaderSize, end === nalu.byteLength, p);
      p.set(nalu.subarray(pos, end), fragmentHeaderSize);
      out.push(p);
    }
  }

  private aggregation(nalus: readonly Uint8Array[], size: number): Uint8Array {
    const out = new Uint8Array(size);
    let pos = this.scheme.aggregationHeaderSize;
    for (const n of nalus) {
      out[pos] = n.byteLength >> 8;
      out[pos + 1] = n.byteLength & 0xff;
      out.set(n, pos + AGGREGATED_SIZE_FIELD);
      pos += AGGREGATED_SIZE_FIELD + n.byteLength;
    }
    this.scheme.writeAggregationHeader(nalus, out);
    return out;
  }
}
