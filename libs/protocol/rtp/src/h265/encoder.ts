/**
 * H.265 RTP packetizer, RFC 7798 without DONL: a NAL unit that fits goes alone (§4.4.1), a
 * larger one is cut into FUs (§4.4.3); with `aggregate`, consecutive small NAL units (VPS, SPS,
 * PPS) share one AP (§4.4.2). Marker on the last packet of the access unit (§4.1).
 */
import type { RtpPacket } from '../packet/rtp-packet';
import type { FramedRtpPackets } from '../packet/framed-rtp';
import { NalPacketizer, NalPacketizerOptions, NalPayloadScheme } from '../nal-packetizer';
import { H265EncodeError } from './errors';
import { H265NalType } from '@streamgate/codec';

export type H265EncoderOptions = NalPacketizerOptions;

const FU_HEADER = 3;

const H265_SCHEME: NalPayloadScheme = {
  nalHeaderSize: 2,
  fragmentHeaderSize: FU_HEADER,
  aggregationHeaderSize: 2,
  check(nalu) {
    if (nalu.byteLength < 3) throw new H265EncodeError(`NAL unit of ${nalu.byteLength} bytes`);
    const type = (nalu[0] >> 1) & 0x3f;
    if (type >= H265NalType.AggregationPacket) throw new H265EncodeError(`NAL type ${type} is not a NAL unit to packetize`);
  },
  // Payload header = the NAL header with type FU; the FU header carries S, E and the type.
  writeFragmentHeader(nalu, start, end, out, offset) {
    out[offset] = (nalu[0] & 0x81) | (H265NalType.FragmentationUnit << 1);
    out[offset + 1] = nalu[1];
    out[offset + 2] = (start ? 0x80 : 0) | (end ? 0x40 : 0) | ((nalu[0] >> 1) & 0x3f);
  },
  // AP header: F = OR of F bits, LayerId and TID = the lowest of its NAL units (§4.4.2).
  writeAggregationHeader(nalus, out, offset) {
    let f = 0;
    let layerId = 63;
    let tid = 7;
    for (const n of nalus) {
      f |= n[0] & 0x80;
      layerId = Math.min(layerId, ((n[0] & 0x01) << 5) | (n[1] >> 3));
      tid = Math.min(tid, n[1] & 0x07);
    }
    out[offset] = f | (H265NalType.AggregationPacket << 1) | (layerId >> 5);
    out[offset + 1] = ((layerId & 0x1f) << 3) | tid;
  },
};

export class H265Encoder {
  private readonly packetizer: NalPacketizer;

  constructor(options: H265EncoderOptions) {
    this.packetizer = new NalPacketizer(H265_SCHEME, options);
    if (this.packetizer.maxPayloadSize < FU_HEADER + 1) throw new H265EncodeError(`maxPayloadSize ${this.packetizer.maxPayloadSize} is too small`);
  }

  /** Packetizes one access unit (NAL units without start codes) at RTP `timestamp`. */
  encode(nalus: readonly Uint8Array[], timestamp: number): RtpPacket[] {
    return this.packetizer.encode(nalus, timestamp);
  }

  /** The same packets written once, RFC 4571-framed after `headroom` bytes (NalPacketizer.encodeFramed). */
  encodeFramed(nalus: readonly Uint8Array[], timestamp: number, headroom = 0): FramedRtpPackets {
    return this.packetizer.encodeFramed(nalus, timestamp, headroom);
  }
}
