/**
 * H.265 RTP packetizer, RFC 7798 without DONL: a NAL unit that fits goes alone (§4.4.1), a
 * larger one is cut into FUs (§4.4.3); with `aggregate`, consecutive small NAL units (VPS, SPS,
 * PPS) share one AP (§4.4.2). Marker on the last packet of the access unit (§4.1).
 */
import type { RtpPacket } from '../packet/rtp-packet';
import type { Sequencer } from '../sequencer';
import { H265EncodeError } from './errors';
import { H265NalType } from './nal';

export interface H265EncoderOptions {
  sequencer: Sequencer;
  /** Default 96. */
  payloadType?: number;
  /** Largest RTP payload, bytes. Default 1400. */
  maxPayloadSize?: number;
  /** Aggregate consecutive small NAL units into APs. Default false. */
  aggregate?: boolean;
}

const PAYLOAD_HEADER = 2;
const AP_LENGTH = 2;
const FU_HEADER = 3;

export class H265Encoder {
  private readonly sequencer: Sequencer;
  private readonly payloadType: number;
  private readonly maxPayloadSize: number;
  private readonly aggregate: boolean;

  constructor(options: H265EncoderOptions) {
    this.sequencer = options.sequencer;
    this.payloadType = options.payloadType ?? 96;
    this.maxPayloadSize = options.maxPayloadSize ?? 1400;
    this.aggregate = options.aggregate ?? false;
    if (this.maxPayloadSize < FU_HEADER + 1) throw new H265EncodeError(`maxPayloadSize ${this.maxPayloadSize} is too small`);
  }

  encode(nalus: readonly Uint8Array[], timestamp: number): RtpPacket[] {
    const payloads: Uint8Array[] = [];
    let pending: Uint8Array[] = [];
    let pendingSize = PAYLOAD_HEADER;
    const flush = (): void => {
      if (pending.length === 1) payloads.push(pending[0]);
      else if (pending.length > 1) payloads.push(aggregationPacket(pending, pendingSize));
      pending = [];
      pendingSize = PAYLOAD_HEADER;
    };
    for (const nalu of nalus) {
      if (nalu.byteLength < 3) throw new H265EncodeError(`NAL unit of ${nalu.byteLength} bytes`);
      const type = (nalu[0] >> 1) & 0x3f;
      if (type >= H265NalType.AggregationPacket) throw new H265EncodeError(`NAL type ${type} is not a NAL unit to packetize`);
      if (nalu.byteLength > this.maxPayloadSize) {
        flush();
        this.fragment(nalu, payloads);
      } else if (this.aggregate) {
        if (pendingSize + AP_LENGTH + nalu.byteLength > this.maxPayloadSize) flush();
        pending.push(nalu);
        pendingSize += AP_LENGTH + nalu.byteLength;
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
    const type = (nalu[0] >> 1) & 0x3f;
    const h0 = (nalu[0] & 0x81) | (H265NalType.FragmentationUnit << 1);
    const chunk = this.maxPayloadSize - FU_HEADER;
    for (let pos = PAYLOAD_HEADER; pos < nalu.byteLength; pos += chunk) {
      const end = Math.min(pos + chunk, nalu.byteLength);
      const p = new Uint8Array(FU_HEADER + end - pos);
      p[0] = h0;
      p[1] = nalu[1];
      p[2] = (pos === PAYLOAD_HEADER ? 0x80 : 0) | (end === nalu.byteLength ? 0x40 : 0) | type;
      p.set(nalu.subarray(pos, end), FU_HEADER);
      out.push(p);
    }
  }
}

/** AP header: F = OR of F bits, LayerId and TID = the lowest of its NAL units (§4.4.2). */
function aggregationPacket(nalus: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let f = 0;
  let layerId = 63;
  let tid = 7;
  let pos = PAYLOAD_HEADER;
  for (const n of nalus) {
    f |= n[0] & 0x80;
    layerId = Math.min(layerId, ((n[0] & 0x01) << 5) | (n[1] >> 3));
    tid = Math.min(tid, n[1] & 0x07);
    out[pos] = n.byteLength >> 8;
    out[pos + 1] = n.byteLength & 0xff;
    out.set(n, pos + AP_LENGTH);
    pos += AP_LENGTH + n.byteLength;
  }
  out[0] = f | (H265NalType.AggregationPacket << 1) | (layerId >> 5);
  out[1] = ((layerId & 0x1f) << 3) | tid;
  return out;
}
