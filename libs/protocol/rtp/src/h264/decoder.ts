/**
 * H.264 RTP depacketizer, RFC 6184 packetization-mode 1 (§6.3): single NAL unit packets
 * (types 1-23, §5.6), STAP-A (24, §5.7.1) and FU-A (28, §5.8).
 *
 * STAP-A:  [F|NRI|24] ( u16 NALU size | NALU )+
 * FU-A:    [F|NRI|28] [S|E|R|type] fragment
 *          The reassembled NAL header is F|NRI from the FU indicator and type from the FU header.
 *
 * Never mutates its input. Single NAL units and STAP-A members are views into the packet;
 * FU-A NAL units are new buffers.
 */
import type { RtpPacket } from '../packet/rtp-packet';
import { DecodeResult, DepacketizerStats } from '../decode-result';
import { NalAccessUnit, NalAssembler, NalDecoderLimits, NalPayload, NO_FU_HEADER } from '../nal-assembler';
import { H264DecodeError } from './errors';
import { H264NalType } from '@streamgate/codec';

export type H264AccessUnit = NalAccessUnit;
export type H264DecoderOptions = NalDecoderLimits;

const STAP_A_HEADER = 1;
const STAP_LENGTH = 2;
const FU_A_HEADER = 2;

export function parseH264Payload(payload: Uint8Array, seq?: number): NalPayload {
  if (payload.byteLength === 0) throw new H264DecodeError('empty payload', seq);
  if ((payload[0] & 0x80) !== 0) throw new H264DecodeError('forbidden_zero_bit set', seq);
  const type = payload[0] & 0x1f;
  if (type >= 1 && type <= 23) return { kind: 'nalus', nalus: [payload] };
  switch (type) {
    case H264NalType.StapA: {
      const nalus: Uint8Array[] = [];
      let pos = STAP_A_HEADER;
      while (pos + STAP_LENGTH <= payload.byteLength) {
        const size = (payload[pos] << 8) | payload[pos + 1];
        // Some senders pad STAP-A with zeros: a zero size ends the list.
        if (size === 0) break;
        pos += STAP_LENGTH;
        if (pos + size > payload.byteLength) throw new H264DecodeError(`STAP-A NAL unit of ${size} bytes overruns the packet`, seq);
        nalus.push(payload.subarray(pos, pos + size));
        pos += size;
      }
      if (nalus.length === 0) throw new H264DecodeError('STAP-A without NAL units', seq);
      return { kind: 'nalus', nalus };
    }
    case H264NalType.FuA: {
      if (payload.byteLength < FU_A_HEADER + 1) throw new H264DecodeError('FU-A shorter than 3 bytes', seq);
      const fu = payload[1];
      const start = (fu & 0x80) !== 0;
      const end = (fu & 0x40) !== 0;
      // Only a start fragment's header is used (NalAssembler): the others get none, not a new buffer each.
      const header = start ? new Uint8Array([(payload[0] & 0xe0) | (fu & 0x1f)]) : NO_FU_HEADER;
      return { kind: 'fragment', start, end, header, data: payload.subarray(FU_A_HEADER) };
    }
    case H264NalType.StapB:
    case H264NalType.Mtap16:
    case H264NalType.Mtap24:
    case H264NalType.FuB:
      throw new H264DecodeError(`NAL type ${type} needs interleaved mode, which is not supported`, seq);
    default:
      throw new H264DecodeError(`reserved NAL type ${type}`, seq);
  }
}

export class H264Decoder {
  private readonly assembler: NalAssembler;

  constructor(options: H264DecoderOptions = {}) {
    this.assembler = new NalAssembler(options);
  }

  get stats(): Readonly<DepacketizerStats> {
    return this.assembler.stats;
  }

  /** Bytes held for incomplete NAL units and access units. */
  get bufferedBytes(): number {
    return this.assembler.bufferedBytes;
  }

  /** Feeds one packet; returns the access units it completed. Throws H264DecodeError. */
  decode(packet: RtpPacket): DecodeResult<H264AccessUnit> {
    const { sequenceNumber, timestamp, marker } = packet.header;
    const parsed = parseH264Payload(packet.payload, sequenceNumber);
    return this.assembler.push(sequenceNumber, timestamp, marker, parsed);
  }
}
