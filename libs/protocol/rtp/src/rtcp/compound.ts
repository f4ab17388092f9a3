import { RTCP_HEADER_SIZE, RtcpHeader, readRtcpHeader } from './rtcp-header';
import { RtcpError } from './rtcp-errors';

/**
 * Compound RTCP packets, RFC 3550 §6.1: several RTCP packets back to back in one datagram,
 * each sized by its own length field. Returns views into `buf`; at most `maxPackets`.
 */
export interface RtcpPacketView {
  header: RtcpHeader;
  /** The whole packet (header included), a view into the input. */
  packet: Uint8Array;
}

export function splitCompound(buf: Uint8Array, maxPackets = 64): RtcpPacketView[] {
  const out: RtcpPacketView[] = [];
  let offset = 0;
  while (offset < buf.byteLength) {
    if (out.length >= maxPackets) throw new RtcpError(`more than ${maxPackets} packets in a compound`);
    const header = readRtcpHeader(buf, offset);
    if (offset + header.byteLength > buf.byteLength) {
      throw new RtcpError(`packet of ${header.byteLength} bytes runs past the compound (${buf.byteLength - offset} left)`);
    }
    out.push({ header, packet: buf.subarray(offset, offset + header.byteLength) });
    offset += header.byteLength;
  }
  if (out.length === 0) throw new RtcpError(`empty compound (${RTCP_HEADER_SIZE} bytes at least)`);
  return out;
}

/** Concatenates packets into one compound (one allocation). */
export function joinCompound(packets: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of packets) size += p.byteLength;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const p of packets) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}
