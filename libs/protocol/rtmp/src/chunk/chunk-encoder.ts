/**
 * Chunk stream encoder, Adobe RTMP spec 1.0 §5.3: each message becomes one fmt 0 chunk
 * (full header, so the encoder keeps no per-stream state and any decoder can join at any
 * message) followed by fmt 3 continuation chunks. An extended timestamp (§5.3.1.3) is written
 * in the fmt 0 chunk and repeated in every fmt 3 chunk, as FFmpeg and librtmp expect.
 *
 * Size is computed first and the output allocated once (byteLength + writeTo).
 */
import { RtmpChunkError } from './chunk-error';
import { DEFAULT_CHUNK_SIZE, MAX_CHUNK_STREAM_ID, RtmpMessage } from './rtmp-message';

const EXTENDED = 0xffffff;

export class ChunkEncoder {
  private chunkSizeValue = DEFAULT_CHUNK_SIZE;

  /** Our outgoing chunk size; call after the Set Chunk Size message itself has been encoded. */
  get chunkSize(): number {
    return this.chunkSizeValue;
  }

  set chunkSize(size: number) {
    if (!Number.isInteger(size) || size < 1 || size > 0x7fffffff) throw new RtmpChunkError(`invalid chunk size ${size}`);
    this.chunkSizeValue = size;
  }

  byteLength(msg: RtmpMessage, csid: number): number {
    const basic = basicHeaderSize(csid);
    const ext = msg.timestamp >= EXTENDED ? 4 : 0;
    const length = msg.payload.byteLength;
    const chunks = Math.max(1, Math.ceil(length / this.chunkSizeValue));
    return basic + 11 + ext + (chunks - 1) * (basic + ext) + length;
  }

  /** Writes `msg` on chunk stream `csid` into `out` at `offset`; returns the offset after it. */
  writeTo(msg: RtmpMessage, csid: number, out: Uint8Array, offset: number): number {
    const length = msg.payload.byteLength;
    if (length > 0xffffff) throw new RtmpChunkError(`message of ${length} bytes exceeds the 24-bit length field`, csid);
    if (out.byteLength - offset < this.byteLength(msg, csid)) throw new RtmpChunkError('output buffer too small', csid);
    const timestamp = msg.timestamp >>> 0;
    const extended = timestamp >= EXTENDED;
    let o = writeBasicHeader(out, offset, 0, csid);
    write24(out, o, extended ? EXTENDED : timestamp);
    write24(out, o + 3, length);
    out[o + 6] = msg.typeId;
    const sid = msg.streamId >>> 0;
    out[o + 7] = sid & 0xff;
    out[o + 8] = (sid >>> 8) & 0xff;
    out[o + 9] = (sid >>> 16) & 0xff;
    out[o + 10] = (sid >>> 24) & 0xff;
    o += 11;
    if (extended) o = writeU32(out, o, timestamp);
    let sent = 0;
    for (;;) {
      const n = Math.min(this.chunkSizeValue, length - sent);
      out.set(msg.payload.subarray(sent, sent + n), o);
      o += n;
      sent += n;
      if (sent >= length) break;
      o = writeBasicHeader(out, o, 3, csid);
      if (extended) o = writeU32(out, o, timestamp);
    }
    return o;
  }

  encode(msg: RtmpMessage, csid: number): Uint8Array {
    const out = new Uint8Array(this.byteLength(msg, csid));
    this.writeTo(msg, csid, out, 0);
    return out;
  }
}

function basicHeaderSize(csid: number): number {
  if (!Number.isInteger(csid) || csid < 2 || csid > MAX_CHUNK_STREAM_ID) throw new RtmpChunkError(`invalid chunk stream id ${csid}`);
  return csid < 64 ? 1 : csid < 320 ? 2 : 3;
}

function writeBasicHeader(out: Uint8Array, o: number, fmt: number, csid: number): number {
  const size = basicHeaderSize(csid);
  if (size === 1) {
    out[o] = (fmt << 6) | csid;
  } else if (size === 2) {
    out[o] = fmt << 6;
    out[o + 1] = csid - 64;
  } else {
    out[o] = (fmt << 6) | 1;
    out[o + 1] = (csid - 64) & 0xff;
    out[o + 2] = (csid - 64) >> 8;
  }
  return o + size;
}

function write24(out: Uint8Array, o: number, v: number): void {
  out[o] = (v >>> 16) & 0xff;
  out[o + 1] = (v >>> 8) & 0xff;
  out[o + 2] = v & 0xff;
}

function writeU32(out: Uint8Array, o: number, v: number): number {
  out[o] = (v >>> 24) & 0xff;
  out[o + 1] = (v >>> 16) & 0xff;
  out[o + 2] = (v >>> 8) & 0xff;
  out[o + 3] = v & 0xff;
  return o + 4;
}
