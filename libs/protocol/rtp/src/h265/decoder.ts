/**
 * H.265 RTP depacketizer, RFC 7798 without DONL (sprop-max-don-diff = 0): single NAL unit
 * packets (§4.4.1), aggregation packets (type 48, §4.4.2) and fragmentation units (type 49,
 * §4.4.3). PACI (50) is rejected.
 *
 * AP:  [PayloadHdr type=48 (2)] ( u16 NALU size | NALU )+
 * FU:  [PayloadHdr type=49 (2)] [S|E|FuType(6)] fragment
 *      The reassembled NAL header is the PayloadHdr with its type replaced by FuType.
 */
import type { RtpPacket } from '../packet/rtp-packet';
import { DecodeResult, DepacketizerStats } from '../decode-result';
import { NalAccessUnit, NalAssembler, NalDecoderLimits, NalPayload, NO_FU_HEADER } from '../nal-assembler';
import { H265DecodeError } from './errors';
import { H265NalType } from '@streamgate/codec';

export type H265AccessUnit = NalAccessUnit;
export type H265DecoderOptions = NalDecoderLimits;

const PAYLOAD_HEADER = 2;
const AP_LENGTH = 2;
const FU_HEADER = 3;

export function parseH265Payload(payload: Uint8Array, seq?: number): NalPayload {
  if (payload.byteLength < PAYLOAD_HEADER + 1) throw new H265DecodeError(`payload of ${payload.byteLength} bytes`, seq);
  if ((payload[0] & 0x80) !== 0) throw new H265DecodeError('forbidden_zero_bit set', seq);
  const type = (payload[0] >> 1) & 0x3f;
  if (type < H265NalType.AggregationPacket) return { kind: 'nalus', nalus: [payload] };
  switch (type) {
    case H265NalType.AggregationPacket: {
      const nalus: Uint8Array[] = [];
      let pos = PAYLOAD_HEADER;
      while (pos + AP_LENGTH <= payload.byteLength) {
        const size = (payload[pos] << 8) | payload[pos + 1];
        if (size === 0) break;
        pos += AP_LENGTH;
        if (size < 2 || pos + size > payload.byteLength) throw new H265DecodeError(`AP NAL unit of ${size} bytes overruns the packet`, seq);
        nalus.push(payload.subarray(pos, pos + size));
        pos += size;
      }
      if (nalus.length === 0) throw new H265DecodeError('AP without NAL units', seq);
      return { kind: 'nalus', nalus };
    }
    case H265NalType.FragmentationUnit: {
      if (payload.byteLength < FU_HEADER + 1) throw new H265DecodeError('FU shorter than 4 bytes', seq);
      const fu = payload[2];
      const fuType = fu & 0x3f;
      if (fuType === H265NalType.AggregationPacket || fuType === H265NalType.FragmentationUnit) {
        throw new H265DecodeError(`FU carrying type ${fuType}`, seq);
      }
      const start = (fu & 0x80) !== 0;
      // Only a start fragment's header is used (NalAssembler).
      const header = start ? new Uint8Array([(payload[0] & 0x81) | (fuType << 1), payload[1]]) : NO_FU_HEADER;
      return { kind: 'fragment', start, end: (fu & 0x40) !== 0, header, data: payload.subarray(FU_HEADER) };
    }
    default:
      throw new H265DecodeError(`unsupported payload type ${type}`, seq);
  }
}

export class H265Decoder {
  private readonly assembler: NalAssembler;

  constructor(options: H265DecoderOptions = {}) {
    this.assembler = new NalAssembler(options);
  }

  get stats(): Readonly<DepacketizerStats> {
    return this.assembler.stats;
  }

  /** Bytes held for incomplete NAL units and access units. */
  get bufferedBytes(): number {
    return this.assembler.bufferedBytes;
  }

  /** Feeds one packet; returns the access units it completed. Throws H265DecodeError. */
  decode(packet: RtpPacket): DecodeResult<H265AccessUnit> {
    const { sequenceNumber, timestamp, marker } = packet.header;
    const parsed = parseH265Payload(packet.payload, sequenceNumber);
    return this.assembler.push(sequenceNumber, timestamp, marker, parsed);
  }
}
