/**
 * The binary media envelope carried on `media.<s>.in` and `media.<s>.out`.
 *
 * Every message starts with the same 16-byte header; decoding returns views into the input
 * (no copy) and never mutates it.
 *
 *  0               1               2               3
 *  +---------------+---------------+---------------+---------------+
 *  | version (=1)  | kind          | kind-specific | flags         |
 *  +---------------+---------------+---------------+---------------+
 *  | u32 kind-specific (timestamp / packet count)                  |
 *  +---------------------------------------------------------------+
 *  | f64 receivedAt: ingest receive time, ms since the Unix epoch  |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  | body: kind-specific                                           |
 *
 * kinds (1 was the FLV tag of RTMP sources; they send codec units now):
 *  2 rtp-batch     [2]=track, [3] bit0 = RTCP, bit1 = new source; [4..8]=packet count;
 *                  body = (u16 length, packet)*  (RTP in sequence order: ingest's receiver reorders)
 *  3 access-unit   [2]=track, [3] bit0 = keyframe; [4..8]=RTP timestamp;
 *                  body = u16 packet count, (u16 length, RTP packet)*
 *  4 frame         [2]=codec (1 H.264, 2 H.265), [3] bit0 = keyframe; [4..8]=0; body = Annex B bytes
 *  5 codec-unit    [2]=source track, [3] bit0 = keyframe; [4..8]=timestamp in the track format's clock;
 *                  body = u16 payload count, (u32 length, payload)* (the media model's AccessUnit:
 *                  NAL units of one picture, or one audio frame)
 */

export const ENVELOPE_VERSION = 1;
export const ENVELOPE_HEADER_SIZE = 16;
/** One RTP packet inside an envelope is at most this many bytes (u16 length prefix). */
export const MAX_ENVELOPE_PACKET_SIZE = 0xffff;
/** Packets per envelope (an access unit of a 4K keyframe at MTU 1200 is ~1000 packets). */
export const MAX_ENVELOPE_PACKETS = 0xffff;
/** Payloads (NAL units) per codec unit. */
export const MAX_CODEC_UNIT_PAYLOADS = 0xffff;

export const enum EnvelopeKind {
  RtpBatch = 2,
  AccessUnit = 3,
  Frame = 4,
  CodecUnit = 5,
}


/**
 * One access unit of a source that is not RTP (RTMP), read at the edge by ingest into the
 * media model's `AccessUnit`; its track's format came in `source-started`.
 */
export interface CodecUnitMessage {
  kind: 'codec-unit';
  track: number;
  keyframe: boolean;
  /** Presentation time in the clock of the track's format (u32, wraps like an RTP timestamp). */
  timestamp: number;
  receivedAt: number;
  /** NAL units without start codes or length prefixes, or one raw audio frame. */
  payloads: Uint8Array[];
}

export interface RtpBatchMessage {
  kind: 'rtp-batch';
  track: number;
  rtcp: boolean;
  /** The first packet begins a new source (the first, an SSRC change, a sequence restart). */
  newSource: boolean;
  receivedAt: number;
  packets: Uint8Array[];
}

export interface AccessUnitMessage {
  kind: 'access-unit';
  track: number;
  keyframe: boolean;
  rtpTimestamp: number;
  receivedAt: number;
  /** Complete RTP packets (12-byte header + payload), in send order. */
  packets: Uint8Array[];
}

export type FrameCodec = 'h264' | 'h265';

export interface FrameMessage {
  kind: 'frame';
  codec: FrameCodec;
  keyframe: boolean;
  receivedAt: number;
  /** Annex B byte stream of one access unit. */
  data: Uint8Array;
}

export type MediaMessage = RtpBatchMessage | AccessUnitMessage | FrameMessage | CodecUnitMessage;

export class EnvelopeError extends Error {
  constructor(message: string) {
    super(`media envelope: ${message}`);
    this.name = 'EnvelopeError';
  }
}

function packetsSize(packets: readonly Uint8Array[]): number {
  if (packets.length > MAX_ENVELOPE_PACKETS) {
    throw new EnvelopeError(`${packets.length} packets exceed the limit of ${MAX_ENVELOPE_PACKETS}`);
  }
  let n = 0;
  for (const p of packets) {
    if (p.byteLength > MAX_ENVELOPE_PACKET_SIZE) {
      throw new EnvelopeError(`packet of ${p.byteLength} bytes exceeds ${MAX_ENVELOPE_PACKET_SIZE}`);
    }
    n += 2 + p.byteLength;
  }
  return n;
}

export function envelopeByteLength(msg: MediaMessage): number {
  switch (msg.kind) {
    case 'frame':
      return ENVELOPE_HEADER_SIZE + msg.data.byteLength;
    case 'codec-unit': {
      if (msg.payloads.length > MAX_CODEC_UNIT_PAYLOADS) throw new EnvelopeError(`${msg.payloads.length} payloads exceed the limit of ${MAX_CODEC_UNIT_PAYLOADS}`);
      let n = ENVELOPE_HEADER_SIZE + 2;
      for (const p of msg.payloads) n += 4 + p.byteLength;
      return n;
    }
    case 'rtp-batch':
      return ENVELOPE_HEADER_SIZE + packetsSize(msg.packets);
    case 'access-unit':
      return ENVELOPE_HEADER_SIZE + 2 + packetsSize(msg.packets);
  }
}

function writePackets(view: DataView, out: Uint8Array, offset: number, packets: readonly Uint8Array[]): number {
  for (const p of packets) {
    view.setUint16(offset, p.byteLength);
    out.set(p, offset + 2);
    offset += 2 + p.byteLength;
  }
  return offset;
}

/** Writes `msg` into `out` at `offset`; returns the offset after it. */
export function writeEnvelope(msg: MediaMessage, out: Uint8Array, offset = 0): number {
  const size = envelopeByteLength(msg);
  if (out.byteLength - offset < size) throw new EnvelopeError('output buffer too small');
  const region = out.subarray(offset, offset + size);
  const view = new DataView(region.buffer, region.byteOffset, size);
  view.setUint8(0, ENVELOPE_VERSION);
  view.setFloat64(8, msg.receivedAt);
  switch (msg.kind) {
    case 'codec-unit': {
      view.setUint8(1, EnvelopeKind.CodecUnit);
      view.setUint8(2, msg.track);
      view.setUint8(3, msg.keyframe ? 1 : 0);
      view.setUint32(4, msg.timestamp >>> 0);
      view.setUint16(ENVELOPE_HEADER_SIZE, msg.payloads.length);
      let at = ENVELOPE_HEADER_SIZE + 2;
      for (const p of msg.payloads) {
        view.setUint32(at, p.byteLength);
        region.set(p, at + 4);
        at += 4 + p.byteLength;
      }
      break;
    }
    case 'rtp-batch':
      view.setUint8(1, EnvelopeKind.RtpBatch);
      view.setUint8(2, msg.track);
      view.setUint8(3, (msg.rtcp ? 1 : 0) | (msg.newSource ? 2 : 0));
      view.setUint32(4, msg.packets.length);
      writePackets(view, region, ENVELOPE_HEADER_SIZE, msg.packets);
      break;
    case 'access-unit':
      view.setUint8(1, EnvelopeKind.AccessUnit);
      view.setUint8(2, msg.track);
      view.setUint8(3, msg.keyframe ? 1 : 0);
      view.setUint32(4, msg.rtpTimestamp >>> 0);
      view.setUint16(ENVELOPE_HEADER_SIZE, msg.packets.length);
      writePackets(view, region, ENVELOPE_HEADER_SIZE + 2, msg.packets);
      break;
    case 'frame':
      view.setUint8(1, EnvelopeKind.Frame);
      view.setUint8(2, msg.codec === 'h264' ? 1 : 2);
      view.setUint8(3, msg.keyframe ? 1 : 0);
      view.setUint32(4, 0);
      region.set(msg.data, ENVELOPE_HEADER_SIZE);
      break;
  }
  return offset + size;
}

/**
 * Bytes in front of the packets of an access-unit envelope: header and packet count. An
 * encoder that writes its packets RFC 4571-framed (u16 length, packet)* after this much
 * headroom has written the envelope's body; `sealAccessUnitEnvelope` adds the header.
 */
export const ACCESS_UNIT_HEADROOM = ENVELOPE_HEADER_SIZE + 2;

/**
 * Turns `framed` — ACCESS_UNIT_HEADROOM free bytes, then `packetCount` length-prefixed RTP
 * packets — into the access-unit envelope of `unit` in place (no copy) and returns it.
 */
export function sealAccessUnitEnvelope(
  framed: Uint8Array, packetCount: number, unit: Pick<AccessUnitMessage, 'track' | 'keyframe' | 'rtpTimestamp' | 'receivedAt'>,
): Uint8Array {
  if (framed.byteLength < ACCESS_UNIT_HEADROOM) throw new EnvelopeError('framed access unit shorter than its headroom');
  if (packetCount > MAX_ENVELOPE_PACKETS) throw new EnvelopeError(`${packetCount} packets exceed the limit of ${MAX_ENVELOPE_PACKETS}`);
  const view = new DataView(framed.buffer, framed.byteOffset, ACCESS_UNIT_HEADROOM);
  view.setUint8(0, ENVELOPE_VERSION);
  view.setUint8(1, EnvelopeKind.AccessUnit);
  view.setUint8(2, unit.track);
  view.setUint8(3, unit.keyframe ? 1 : 0);
  view.setUint32(4, unit.rtpTimestamp >>> 0);
  view.setFloat64(8, unit.receivedAt);
  view.setUint16(ENVELOPE_HEADER_SIZE, packetCount);
  return framed;
}

/**
 * Serializes `msg` into one new buffer (one allocation). `allocate` may hand out pooled
 * memory (Node's `Buffer.allocUnsafe` slices small sizes from a shared slab: no allocation of
 * its own per message, which is what ingest does for every read).
 */
export function encodeEnvelope(msg: MediaMessage, allocate: (size: number) => Uint8Array = (size) => new Uint8Array(size)): Uint8Array {
  const out = allocate(envelopeByteLength(msg));
  writeEnvelope(msg, out, 0);
  return out;
}

function readPackets(buf: Uint8Array, view: DataView, offset: number, count: number): Uint8Array[] {
  if (count > MAX_ENVELOPE_PACKETS) throw new EnvelopeError(`packet count ${count} exceeds ${MAX_ENVELOPE_PACKETS}`);
  const packets: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    if (offset + 2 > buf.byteLength) throw new EnvelopeError('truncated packet length');
    const len = view.getUint16(offset);
    offset += 2;
    if (offset + len > buf.byteLength) throw new EnvelopeError('truncated packet');
    packets.push(buf.subarray(offset, offset + len));
    offset += len;
  }
  if (offset !== buf.byteLength) throw new EnvelopeError(`${buf.byteLength - offset} trailing bytes`);
  return packets;
}

function readPayloads(buf: Uint8Array, view: DataView): Uint8Array[] {
  if (buf.byteLength < ENVELOPE_HEADER_SIZE + 2) throw new EnvelopeError('truncated codec unit');
  const count = view.getUint16(ENVELOPE_HEADER_SIZE);
  const payloads: Uint8Array[] = [];
  let offset = ENVELOPE_HEADER_SIZE + 2;
  for (let i = 0; i < count; i++) {
    if (offset + 4 > buf.byteLength) throw new EnvelopeError('truncated payload length');
    const len = view.getUint32(offset);
    offset += 4;
    if (len > buf.byteLength - offset) throw new EnvelopeError('truncated payload');
    payloads.push(buf.subarray(offset, offset + len));
    offset += len;
  }
  if (offset !== buf.byteLength) throw new EnvelopeError(`${buf.byteLength - offset} trailing bytes`);
  return payloads;
}

/** Decodes one envelope. Returned byte fields are views into `buf`. Throws EnvelopeError. */
export function decodeEnvelope(buf: Uint8Array): MediaMessage {
  if (buf.byteLength < ENVELOPE_HEADER_SIZE) throw new EnvelopeError(`${buf.byteLength} bytes is shorter than the header`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const version = view.getUint8(0);
  if (version !== ENVELOPE_VERSION) throw new EnvelopeError(`unsupported version ${version}`);
  const kind = view.getUint8(1);
  const b2 = view.getUint8(2);
  const flags = view.getUint8(3);
  const u32 = view.getUint32(4);
  const receivedAt = view.getFloat64(8);
  switch (kind) {
    case EnvelopeKind.CodecUnit:
      return { kind: 'codec-unit', track: b2, keyframe: (flags & 1) === 1, timestamp: u32, receivedAt, payloads: readPayloads(buf, view) };
    case EnvelopeKind.RtpBatch:
      return {
        kind: 'rtp-batch', track: b2, rtcp: (flags & 1) === 1, newSource: (flags & 2) === 2, receivedAt,
        packets: readPackets(buf, view, ENVELOPE_HEADER_SIZE, u32),
      };
    case EnvelopeKind.AccessUnit: {
      if (buf.byteLength < ENVELOPE_HEADER_SIZE + 2) throw new EnvelopeError('truncated access unit');
      const count = view.getUint16(ENVELOPE_HEADER_SIZE);
      return {
        kind: 'access-unit', track: b2, keyframe: (flags & 1) === 1, rtpTimestamp: u32, receivedAt,
        packets: readPackets(buf, view, ENVELOPE_HEADER_SIZE + 2, count),
      };
    }
    case EnvelopeKind.Frame:
      if (b2 !== 1 && b2 !== 2) throw new EnvelopeError(`unknown frame codec ${b2}`);
      return { kind: 'frame', codec: b2 === 1 ? 'h264' : 'h265', keyframe: (flags & 1) === 1, receivedAt, data: buf.subarray(ENVELOPE_HEADER_SIZE) };
    default:
      throw new EnvelopeError(`unknown kind ${kind}`);
  }
}

/**
 * A list of envelopes in one buffer (u32 length, envelope)*, used for the GOP reply.
 */
export function encodeEnvelopeList(messages: readonly MediaMessage[]): Uint8Array {
  let size = 0;
  for (const m of messages) size += 4 + envelopeByteLength(m);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const m of messages) {
    const len = envelopeByteLength(m);
    view.setUint32(offset, len);
    offset = writeEnvelope(m, out, offset + 4);
  }
  return out;
}

/**
 * The same list from envelopes that are already encoded (the packetizer's GOP cache keeps the
 * bytes it published), copied once into one buffer without decoding them again.
 */
export function joinEnvelopeList(envelopes: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const e of envelopes) size += 4 + e.byteLength;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const e of envelopes) {
    view.setUint32(offset, e.byteLength);
    out.set(e, offset + 4);
    offset += 4 + e.byteLength;
  }
  return out;
}

export function decodeEnvelopeList(buf: Uint8Array): MediaMessage[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: MediaMessage[] = [];
  let offset = 0;
  while (offset < buf.byteLength) {
    if (offset + 4 > buf.byteLength) throw new EnvelopeError('truncated list entry length');
    const len = view.getUint32(offset);
    offset += 4;
    if (offset + len > buf.byteLength) throw new EnvelopeError('truncated list entry');
    out.push(decodeEnvelope(buf.subarray(offset, offset + len)));
    offset += len;
  }
  return out;
}
