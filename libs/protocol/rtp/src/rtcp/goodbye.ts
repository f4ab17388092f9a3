import { RTCP_HEADER_SIZE, RtcpPacketType, readRtcpHeader, rtcpBody, writeRtcpHeader } from './rtcp-header';
import { RtcpError } from './rtcp-errors';

/**
 * Goodbye (BYE), RFC 3550 §6.6:
 *
 *        |V=2|P|    SC   |   PT=BYE=203  |             length            |
 *        |                           SSRC/CSRC                           |
 *        :                              ...                              :
 * (opt)  |     length    |               reason for leaving            ...
 *
 * The reason is UTF-8, at most 255 bytes, zero-padded to a 32-bit boundary.
 */
export interface Goodbye {
  sources: number[];
  reason?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

function reasonBytes(bye: Goodbye): Uint8Array | undefined {
  if (bye.reason === undefined) return undefined;
  const bytes = encoder.encode(bye.reason);
  if (bytes.byteLength > 255) throw new RtcpError(`BYE reason of ${bytes.byteLength} bytes exceeds 255`);
  return bytes;
}

export function goodbyeByteLength(bye: Goodbye): number {
  const reason = reasonBytes(bye);
  const raw = RTCP_HEADER_SIZE + bye.sources.length * 4 + (reason ? 1 + reason.byteLength : 0);
  return (raw + 3) & ~3;
}

export function writeGoodbye(bye: Goodbye, out: Uint8Array, offset = 0): number {
  if (bye.sources.length > 31) throw new RtcpError(`${bye.sources.length} sources exceed 31`);
  const size = goodbyeByteLength(bye);
  if (out.byteLength - offset < size) throw new RtcpError('output buffer too small');
  const view = new DataView(out.buffer, out.byteOffset + offset, size);
  writeRtcpHeader(view, 0, bye.sources.length, RtcpPacketType.Goodbye, size);
  bye.sources.forEach((ssrc, i) => view.setUint32(4 + i * 4, ssrc >>> 0));
  let pos = 4 + bye.sources.length * 4;
  const reason = reasonBytes(bye);
  if (reason) {
    view.setUint8(pos, reason.byteLength);
    out.set(reason, offset + pos + 1);
    pos += 1 + reason.byteLength;
  }
  out.fill(0, offset + pos, offset + size);
  return offset + size;
}

export function buildGoodbye(bye: Goodbye): Uint8Array {
  const out = new Uint8Array(goodbyeByteLength(bye));
  writeGoodbye(bye, out, 0);
  return out;
}

export function parseGoodbye(packet: Uint8Array): Goodbye {
  const header = readRtcpHeader(packet);
  if (header.packetType !== RtcpPacketType.Goodbye) throw new RtcpError(`packet type ${header.packetType} is not BYE`);
  if (header.byteLength !== packet.byteLength) throw new RtcpError(`length field ${header.byteLength} != ${packet.byteLength} bytes`);
  const body = rtcpBody(packet, header);
  if (body.byteLength < header.count * 4) throw new RtcpError(`BYE with ${header.count} sources is too short`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const sources: number[] = [];
  for (let i = 0; i < header.count; i++) sources.push(view.getUint32(i * 4));
  const out: Goodbye = { sources };
  const rest = header.count * 4;
  if (body.byteLength > rest && body[rest] > 0) {
    const len = body[rest];
    if (rest + 1 + len > body.byteLength) throw new RtcpError('BYE reason runs past the packet');
    out.reason = decoder.decode(body.subarray(rest + 1, rest + 1 + len));
  }
  return out;
}
