/**
 * H.264 RTP packetizer, RFC 6184 packetization-mode 1: a NAL unit that fits the payload budget
 * goes alone (§5.6), a larger one is cut into FU-A fragments (§5.8); with `aggregate`,
 * consecutive small NAL units (SPS, PPS, SEI) share one STAP-A (§5.7.1). The marker bit is set
 * on the last packet of the access unit (§5.1).
 */
import type { RtpPacket } from '../packet/rtp-packet';
import type { Sequencer } from '../sequencer';
import { H264EncodeError } from './errors';
import { H264NalType } from './nal';

export interface H264EncoderOptions {
  sequencer: Sequencer;
  /** Default 96. */
  payloadType?: number;
  /** Largest RTP payload, bytes (the MTU budget). Default 1400. */
  maxPayloadSize?: number;
  /** Aggregate consecutive small NAL units into STAP-A. Default false. */
  aggregate?: boolean;
}

const FU_A_HEADER = 2;
const STAP_A_HEADER = 1;
const STAP_LENGTH = 2;

export class H264Encoder {
  private readonly sequencer: Sequencer;
  private readonly payloadType: number;
  private readonly maxPayloadSize: number;
  private readonly aggregate: boolean;

  constructor(options: H264EncoderOptions) {
    this.sequencer = options.sequencer;
    this.payloadType = options.payloadType ?? 96;
    this.maxPayloadSize = options.maxPayloadSize ?? 1400;
    this.aggregate = options.aggregate ?? false;
    if (this.maxPayloadSize < FU_A_HEADER + 1) throw new H264EncodeError(`maxPayloadSize ${this.maxPayloadSize} is too small`);
  }

  /** Packetizes one access unit (NAL units without start codes) at RTP `timestamp`. */
  encode(nalus: readonly Uint8Array[], timestamp: number): RtpPacket[] {
    const payloads: Uint8Array[] = [];
    let pending: Uint8Array[] = [];
    let pendingSize = STAP_A_HEADER;
    const flush = (): void => {
      if (pending.length === 1) payloads.push(pending[0]);
      else if (pending.length > 1) payloads.push(stapA(pending, pendingSize));
      pending = [];
      pendingSize = STAP_A_HEADER;
    };
    for (const nalu of nalus) {
      if (nalu.byteLength === 0) throw new H264EncodeError('empty NAL unit');
      const type = nalu[0] & 0x1f;
      if (type === 0 || type >= H264NalType.StapA) throw new H264EncodeError(`NAL type ${type} is not a NAL unit to packetize`);
      if (nalu.byteLength > this.maxPayloadSize) {
        flush();
        this.fragment(nalu, payloads);
      } else if (this.aggregate) {
        if (pendingSize + STAP_LENGTH + nalu.byteLength > this.maxPayloadSize) flush();
        pending.push(nalu);
        pendingSize += STAP_LENGTH + nalu.byteLength;
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
    const indicator = (nalu[0] & 0xe0) | H264NalType.FuA;
    const type = nalu[0] & 0x1f;
    const chunk = this.maxPayloadSize - FU_A_HEADER;
    for (let pos = 1; pos < nalu.byteLength; pos += chunk) {
      const end = Math.min(pos + chunk, nalu.byteLength);
      const p = new Uint8Array(FU_A_HEADER + end - pos);
      p[0] = indicator;
      p[1] = (pos === 1 ? 0x80 : 0) | (end === nalu.byteLength ? 0x40 : 0) | type;
      p.set(nalu.subarray(pos, end), FU_A_HEADER);
      out.push(p);
    }
  }
}

/** STAP-A NRI is the highest NRI of its NAL units (RFC 6184 §5.7.1). */
function stapA(nalus: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let nri = 0;
  let pos = STAP_A_HEADER;
  for (const n of nalus) {
    nri = Math.max(nri, n[0] & 0x60);
    out[pos] = n.byteLength >> 8;
    out[pos + 1] = n.byteLength & 0xff;
    out.set(n, pos + STAP_LENGTH);
    pos += STAP_LENGTH + n.byteLength;
  }
  out[0] = nri | H264NalType.StapA;
  return out;
}
