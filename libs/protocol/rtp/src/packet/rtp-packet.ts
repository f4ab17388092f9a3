/**
 * RTP fixed header, RFC 3550 §5.1.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           timestamp                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           synchronization source (SSRC) identifier            |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |            contributing source (CSRC) identifiers             |
 * |                             ....                              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Header extension (§5.3.1): u16 profile, u16 length in 32-bit words, data.
 * Padding (§5.1 P bit): the last payload octet counts the padding octets, itself included.
 */
import { rtpSequenceNumber, rtpSsrc, rtpTimestamp } from './rtp-fields';

export const RTP_VERSION = 2;
export const RTP_FIXED_HEADER_SIZE = 12;
const CSRC_SIZE = 4;
const EXTENSION_HEADER_SIZE = 4;
const MAX_CSRC = 15;

export interface RtpHeader {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrc: readonly number[];
  /**
   * On parse: whether the packet carried padding (already stripped from the payload).
   * On write: padding is not emitted; the bit is written as 0.
   */
  padding: boolean;
  /** `data` length must be a multiple of 4 (§5.3.1 counts it in 32-bit words). */
  extension?: { profile: number; data: Uint8Array };
}

export interface RtpPacket {
  header: RtpHeader;
  payload: Uint8Array;
}

export class RtpParseError extends Error {
  constructor(readonly reason: string, readonly byteLength: number) {
    super(`RTP packet (${byteLength} bytes): ${reason}`);
    this.name = 'RtpParseError';
  }
}

export class RtpWriteError extends Error {
  constructor(reason: string) {
    super(`RTP packet: ${reason}`);
    this.name = 'RtpWriteError';
  }
}

/** The CSRC list of nearly every packet (CC = 0): one shared, frozen array instead of one per packet. */
const NO_CSRC: readonly number[] = Object.freeze([]);

/** A CSRC identifier (§5.1: 32 bits, network order). */
const u32 = (b: Uint8Array, at: number): number => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;

/** Parses one RTP packet. `payload` and `extension.data` are views into `buf` (no copy). */
export function parseRtpPacket(buf: Uint8Array): RtpPacket {
  const len = buf.byteLength;
  if (len < RTP_FIXED_HEADER_SIZE) throw new RtpParseError('shorter than the fixed header', len);
  const b0 = buf[0];
  const version = b0 >> 6;
  if (version !== RTP_VERSION) throw new RtpParseError(`version ${version}, expected 2`, len);
  const padding = (b0 & 0x20) !== 0;
  const hasExtension = (b0 & 0x10) !== 0;
  const csrcCount = b0 & 0x0f;
  const b1 = buf[1];

  let offset = RTP_FIXED_HEADER_SIZE;
  if (offset + csrcCount * CSRC_SIZE > len) throw new RtpParseError(`truncated CSRC list (${csrcCount})`, len);
  let csrc = NO_CSRC;
  if (csrcCount > 0) {
    const list: number[] = [];
    for (let i = 0; i < csrcCount; i++, offset += CSRC_SIZE) list.push(u32(buf, offset));
    csrc = list;
  }

  let extension: RtpHeader['extension'];
  if (hasExtension) {
    if (offset + EXTENSION_HEADER_SIZE > len) throw new RtpParseError('truncated extension header', len);
    const profile = (buf[offset] << 8) | buf[offset + 1];
    const words = (buf[offset + 2] << 8) | buf[offset + 3];
    offset += EXTENSION_HEADER_SIZE;
    if (offset + words * 4 > len) throw new RtpParseError(`truncated extension (${words} words)`, len);
    extension = { profile, data: buf.subarray(offset, offset + words * 4) };
    offset += words * 4;
  }

  let end = len;
  if (padding) {
    const padCount = buf[len - 1];
    if (padCount === 0 || end - padCount < offset) throw new RtpParseError(`invalid padding count ${padCount}`, len);
    end -= padCount;
  }

  const header: RtpHeader = {
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequenceNumber: rtpSequenceNumber(buf),
    timestamp: rtpTimestamp(buf),
    ssrc: rtpSsrc(buf),
    csrc,
    padding,
  };
  if (extension) header.extension = extension;
  return { header, payload: buf.subarray(offset, end) };
}

/** Bytes `writeRtpPacket` will write for `p`. */
export function rtpPacketByteLength(p: RtpPacket): number {
  let n = RTP_FIXED_HEADER_SIZE + p.header.csrc.length * CSRC_SIZE + p.payload.byteLength;
  if (p.header.extension) n += EXTENSION_HEADER_SIZE + p.header.extension.data.byteLength;
  return n;
}

/** Writes `p` into `out` at `offset`; returns the number of bytes written. */
export function writeRtpPacket(p: RtpPacket, out: Uint8Array, offset: number): number {
  const h = p.header;
  if (h.csrc.length > MAX_CSRC) throw new RtpWriteError(`${h.csrc.length} CSRCs exceed ${MAX_CSRC}`);
  if (h.extension && h.extension.data.byteLength % 4 !== 0) {
    throw new RtpWriteError(`extension length ${h.extension.data.byteLength} is not a multiple of 4`);
  }
  if (h.extension && h.extension.data.byteLength / 4 > 0xffff) throw new RtpWriteError('extension too long');
  const size = rtpPacketByteLength(p);
  if (offset < 0 || out.byteLength - offset < size) throw new RtpWriteError('output buffer too small');
  const view = new DataView(out.buffer, out.byteOffset + offset, size);
  view.setUint8(0, (RTP_VERSION << 6) | (h.extension ? 0x10 : 0) | h.csrc.length);
  view.setUint8(1, (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f));
  view.setUint16(2, h.sequenceNumber & 0xffff);
  view.setUint32(4, h.timestamp >>> 0);
  view.setUint32(8, h.ssrc >>> 0);
  let pos = RTP_FIXED_HEADER_SIZE;
  for (const c of h.csrc) {
    view.setUint32(pos, c >>> 0);
    pos += CSRC_SIZE;
  }
  if (h.extension) {
    view.setUint16(pos, h.extension.profile & 0xffff);
    view.setUint16(pos + 2, h.extension.data.byteLength / 4);
    pos += EXTENSION_HEADER_SIZE;
    out.set(h.extension.data, offset + pos);
    pos += h.extension.data.byteLength;
  }
  out.set(p.payload, offset + pos);
  return size;
}

/** Serializes `p` into one new buffer (one allocation). */
export function serializeRtpPacket(p: RtpPacket): Uint8Array {
  const out = new Uint8Array(rtpPacketByteLength(p));
  writeRtpPacket(p, out, 0);
  return out;
}
