import { RtcpError } from './rtcp-errors';

/**
 * Common RTCP header, RFC 3550 §6.4.1:
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|    RC   |   PT          |             length            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * length = packet size in 32-bit words minus one.
 */
export const RTCP_HEADER_SIZE = 4;
export const RTCP_VERSION = 2;

export const RtcpPacketType = {
  SenderReport: 200,
  ReceiverReport: 201,
  SourceDescription: 202,
  Goodbye: 203,
  ApplicationDefined: 204,
} as const;

export interface RtcpHeader {
  padding: boolean;
  /** Report count / source count / subtype (5 bits). */
  count: number;
  packetType: number;
  /** Whole packet size in bytes, header included. */
  byteLength: number;
}

export function readRtcpHeader(buf: Uint8Array, offset = 0): RtcpHeader {
  if (buf.byteLength - offset < RTCP_HEADER_SIZE) throw new RtcpError(`${buf.byteLength - offset} bytes is shorter than the header`);
  const b0 = buf[offset];
  if (b0 >> 6 !== RTCP_VERSION) throw new RtcpError(`version ${b0 >> 6}`);
  const words = (buf[offset + 2] << 8) | buf[offset + 3];
  return { padding: (b0 & 0x20) !== 0, count: b0 & 0x1f, packetType: buf[offset + 1], byteLength: (words + 1) * 4 };
}

export function writeRtcpHeader(view: DataView, offset: number, count: number, packetType: number, byteLength: number): void {
  if (byteLength % 4 !== 0) throw new RtcpError(`packet length ${byteLength} is not a multiple of 4`);
  if (count > 31) throw new RtcpError(`count ${count} exceeds 31`);
  view.setUint8(offset, (RTCP_VERSION << 6) | count);
  view.setUint8(offset + 1, packetType);
  view.setUint16(offset + 2, byteLength / 4 - 1);
}

/** The packet body without padding (RFC 3550 §6.4.1: the last octet counts padding octets). */
export function rtcpBody(packet: Uint8Array, header: RtcpHeader): Uint8Array {
  let end = packet.byteLength;
  if (header.padding) {
    const pad = packet[end - 1];
    if (pad === 0 || pad > end - RTCP_HEADER_SIZE) throw new RtcpError(`invalid padding ${pad}`);
    end -= pad;
  }
  return packet.subarray(RTCP_HEADER_SIZE, end);
}
