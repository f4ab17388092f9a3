/**
 * H.264 RTP packetizer, RFC 6184 packetization-mode 1: a NAL unit that fits the payload budget
 * goes alone (§5.6), a larger one is cut into FU-A fragments (§5.8); with `aggregate`,
 * consecutive small NAL units (SPS, PPS, SEI) share one STAP-A (§5.7.1). The marker bit is set
 * on the last packet of the access unit (§5.1).
 */
import type { RtpPacket } from '../packet/rtp-packet';
import type { FramedRtpPackets } from '../packet/framed-rtp';
import { NalPacketizer, NalPacketizerOptions, NalPayloadScheme } from '../nal-packetizer';
import { H264EncodeError } from './errors';
import { H264NalType } from '@streamgate/codec';

export type H264EncoderOptions = NalPacketizerOptions;

const FU_A_HEADER = 2;

const H264_SCHEME: NalPayloadScheme = {
  nalHeaderSize: 1,
  fragmentHeaderSize: FU_A_HEADER,
  aggregationHeaderSize: 1,
  check(nalu) {
    if (nalu.byteLength === 0) throw new H264EncodeError('empty NAL unit');
    const type = nalu[0] & 0x1f;
    if (type === 0 || type >= H264NalType.StapA) throw new H264EncodeError(`NAL type ${type} is not a NAL unit to packetize`);
  },
  // FU indicator keeps F and NRI; the FU header carries S, E and the original type (§5.8).
  writeFragmentHeader(nalu, start, end, out, offset) {
    out[offset] = (nalu[0] & 0xe0) | H264NalType.FuA;
    out[offset + 1] = (start ? 0x80 : 0) | (end ? 0x40 : 0) | (nalu[0] & 0x1f);
  },
  // STAP-A NRI is the highest NRI of its NAL units (§5.7.1).
  writeAggregationHeader(nalus, out, offset) {
    let nri = 0;
    for (const n of nalus) nri = Math.max(nri, n[0] & 0x60);
    out[offset] = nri | H264NalType.StapA;
  },
};

export class H264Encoder {
  private readonly packetizer: NalPacketizer;

  constructor(options: H264EncoderOptions) {
    this.packetizer = new NalPacketizer(H264_SCHEME, options);
    if (this.packetizer.maxPayloadSize < FU_A_HEADER + 1) throw new H264EncodeError(`maxPayloadSize ${this.packetizer.maxPayloadSize} is too small`);
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
