/**
 * RTP packets framed one after another in one buffer, RFC 4571 §2: every packet is preceded by
 * its length as a 16-bit unsigned integer in network byte order.
 *
 *  +---------------+---------------+-------------------------------+----
 *  | headroom (caller's header)    | LENGTH (u16)  | RTP packet    | LENGTH | ...
 *  +---------------+---------------+-------------------------------+----
 *
 * Encoders write their packets straight into such a buffer (`encodeFramed`), after headroom
 * that the caller fills with its own header: the media envelope's access-unit body has exactly
 * this framing, so a packetized access unit becomes a bus message without being copied again.
 */
import { RTP_FIXED_HEADER_SIZE, RTP_VERSION, RtpWriteError } from './rtp-packet';

export const FRAMED_LENGTH_SIZE = 2;
/** The 16-bit length field bounds a framed packet. */
export const MAX_FRAMED_PACKET_SIZE = 0xffff;

export interface FramedRtpPackets {
  /** `headroom` bytes (left for the caller), then (u16 length, RTP packet)* */
  readonly buffer: Uint8Array;
  /** Every packet, fixed header included, as a view into `buffer`, in order. */
  readonly packets: Uint8Array[];
}

/** The fixed-header fields an encoder sets (no CSRC, no extension, no padding). */
export interface FramedRtpHeader {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
}

/** Bytes one framed packet with a `payloadSize`-byte payload takes. */
export function framedRtpByteLength(payloadSize: number): number {
  return FRAMED_LENGTH_SIZE + RTP_FIXED_HEADER_SIZE + payloadSize;
}

/** Where a writer's buffer comes from (e.g. BufferSlab.allocate); by default a new zeroed one. */
export type ByteAllocator = (size: number) => Uint8Array;

const newBuffer: ByteAllocator = (size) => new Uint8Array(size);

/**
 * Writes framed packets into one buffer allocated up front (sized by `framedRtpByteLength`).
 * `begin` writes the length and the fixed header and returns where the payload goes; the
 * encoder writes the payload there.
 */
export class FramedRtpWriter {
  readonly buffer: Uint8Array;
  readonly packets: Uint8Array[] = [];
  private offset: number;

  constructor(size: number, headroom: number, allocate: ByteAllocator = newBuffer) {
    if (headroom < 0 || headroom > size) throw new RtpWriteError(`headroom ${headroom} outside a ${size}-byte buffer`);
    this.buffer = allocate(size);
    this.offset = headroom;
  }

  begin(payloadSize: number, h: FramedRtpHeader): number {
    const length = RTP_FIXED_HEADER_SIZE + payloadSize;
    if (length > MAX_FRAMED_PACKET_SIZE) throw new RtpWriteError(`packet of ${length} bytes exceeds ${MAX_FRAMED_PACKET_SIZE}`);
    const b = this.buffer;
    const at = this.offset + FRAMED_LENGTH_SIZE;
    if (at + length > b.byteLength) throw new RtpWriteError('output buffer too small');
    b[this.offset] = length >> 8;
    b[this.offset + 1] = length & 0xff;
    // RFC 3550 §5.1 fixed header: V=2, P=0, X=0, CC=0.
    b[at] = RTP_VERSION << 6;
    b[at + 1] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
    b[at + 2] = (h.sequenceNumber >> 8) & 0xff;
    b[at + 3] = h.sequenceNumber & 0xff;
    const ts = h.timestamp >>> 0;
    b[at + 4] = ts >>> 24;
    b[at + 5] = (ts >>> 16) & 0xff;
    b[at + 6] = (ts >>> 8) & 0xff;
    b[at + 7] = ts & 0xff;
    const ssrc = h.ssrc >>> 0;
    b[at + 8] = ssrc >>> 24;
    b[at + 9] = (ssrc >>> 16) & 0xff;
    b[at + 10] = (ssrc >>> 8) & 0xff;
    b[at + 11] = ssrc & 0xff;
    this.packets.push(b.subarray(at, at + length));
    this.offset = at + length;
    return at + RTP_FIXED_HEADER_SIZE;
  }

  /** The framed packets; throws when the buffer was sized for more than was written. */
  done(): FramedRtpPackets {
    if (this.offset !== this.buffer.byteLength) throw new RtpWriteError(`${this.buffer.byteLength - this.offset} bytes left unwritten`);
    return { buffer: this.buffer, packets: this.packets };
  }
}
