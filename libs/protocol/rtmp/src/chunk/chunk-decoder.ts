/**
 * Chunk stream decoder, Adobe RTMP spec 1.0 §5.3.
 *
 * Chunk = basic header (1-3 bytes) | message header (11/7/3/0 bytes) | [extended ts (4)] | data
 *
 *  basic header (§5.3.1.1):  fmt(2) csid(6)           csid 2..63
 *                            fmt(2) 0 | csid-64 (8)    csid 64..319
 *                            fmt(2) 1 | csid-64 (16 LE) csid 64..65599
 *  message header (§5.3.1.2):
 *    fmt 0: timestamp(3) length(3) type(1) stream id(4, little-endian)
 *    fmt 1: ts delta(3)  length(3) type(1)          same stream id
 *    fmt 2: ts delta(3)                             same stream id, length, type
 *    fmt 3: nothing: a continuation chunk, or a new message reusing everything incl. the delta
 *  extended timestamp (§5.3.1.3): present when the 24-bit field is 0xFFFFFF; FFmpeg and
 *  librtmp also repeat it in every fmt 3 chunk of a chunk stream whose last header had it.
 *
 * Set Chunk Size (§5.4.1) and Abort (§5.4.2) take effect at the chunk right after them, so the
 * decoder applies them itself while decoding (they are still returned to the caller).
 * "Need more input" is the normal outcome of push(); violations throw RtmpChunkError.
 */
import { RtmpChunkError } from './chunk-error';
import { DEFAULT_CHUNK_SIZE, MessageType, RtmpMessage } from './rtmp-message';
import { appendBytes } from '../bytes';

export interface ChunkDecoderOptions {
  /** Largest message length accepted, bytes. Default 16 MiB. */
  maxMessageSize?: number;
  /** Largest chunk size the peer may set (§5.4.1 allows up to 0x7FFFFFFF). Default 16 MiB. */
  maxChunkSize?: number;
  /** Distinct chunk stream ids the peer may use. Default 64. */
  maxChunkStreams?: number;
  /** Bytes of partly received messages held at once. Default 2 × maxMessageSize. */
  maxBufferedBytes?: number;
}

interface ChunkStream {
  timestamp: number;
  /** Delta a fmt 3 new message applies: the last 24-bit/extended field (§5.3.1.2.4). */
  delta: number;
  length: number;
  typeId: number;
  streamId: number;
  /** The last fmt 0/1/2 header used an extended timestamp. */
  extended: boolean;
  parts: Uint8Array[];
  received: number;
  inProgress: boolean;
}

const EXTENDED = 0xffffff;
const MESSAGE_HEADER_SIZE = [11, 7, 3, 0];
const EMPTY = new Uint8Array(0);

export class ChunkDecoder {
  private maxMessageSize: number;
  private maxChunkSize: number;
  private readonly maxChunkStreams: number;
  private maxBufferedBytes: number;
  private readonly streams = new Map<number, ChunkStream>();
  private tail: Uint8Array = EMPTY;
  private chunkSizeValue = DEFAULT_CHUNK_SIZE;
  private buffered = 0;
  /** Chunk stream whose chunk data is being read, and how many data bytes remain in the chunk. */
  private current: ChunkStream | undefined;
  private currentCsid = 0;
  private chunkRemaining = 0;

  constructor(options: ChunkDecoderOptions = {}) {
    this.maxMessageSize = options.maxMessageSize ?? 16 * 1024 * 1024;
    this.maxChunkSize = options.maxChunkSize ?? 16 * 1024 * 1024;
    this.maxChunkStreams = options.maxChunkStreams ?? 64;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 2 * this.maxMessageSize;
  }

  /**
   * Changes the size limits from the next chunk on (a server raises them once the peer is
   * allowed to publish, so an unauthenticated peer can make it hold only handshake-sized
   * messages). Lowering them below what is already buffered is refused.
   */
  setLimits(limits: Pick<ChunkDecoderOptions, 'maxMessageSize' | 'maxChunkSize' | 'maxBufferedBytes'>): void {
    const maxMessageSize = limits.maxMessageSize ?? this.maxMessageSize;
    const maxBufferedBytes = limits.maxBufferedBytes ?? 2 * maxMessageSize;
    if (maxBufferedBytes < this.buffered) throw new RangeError(`cannot lower maxBufferedBytes below the ${this.buffered} bytes held`);
    this.maxMessageSize = maxMessageSize;
    this.maxChunkSize = limits.maxChunkSize ?? this.maxChunkSize;
    this.maxBufferedBytes = maxBufferedBytes;
  }

  /** Bytes of partly received messages held now. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Drops every partial message and chunk stream (the connection is gone). */
  reset(): void {
    this.streams.clear();
    this.tail = EMPTY;
    this.buffered = 0;
    this.current = undefined;
    this.chunkRemaining = 0;
  }

  /** The peer's current chunk size (§5.4.1). */
  get chunkSize(): number {
    return this.chunkSizeValue;
  }

  /** Decodes as much as possible; returns the messages completed by these bytes. */
  push(bytes: Uint8Array): RtmpMessage[] {
    const buf = appendBytes(this.tail, bytes);
    const out: RtmpMessage[] = [];
    let off = 0;
    while (off < buf.byteLength) {
      if (this.current) {
        off = this.readData(buf, off, out);
        continue;
      }
      const used = this.readHeader(buf, off);
      if (used === 0) break;
      off += used;
      // A zero-length message has no data bytes, so it completes at its header.
      if (this.current && this.chunkRemaining === 0) this.complete(this.current, EMPTY, out);
    }
    // Only a partial header (at most 18 bytes) is kept between pushes.
    this.tail = off < buf.byteLength ? new Uint8Array(buf.subarray(off)) : EMPTY;
    return out;
  }

  /** Parses one chunk header at `off`; returns the bytes used, 0 when more input is needed. */
  private readHeader(buf: Uint8Array, off: number): number {
    const avail = buf.byteLength - off;
    const b0 = buf[off];
    const fmt = b0 >> 6;
    let csid = b0 & 0x3f;
    let pos = off + 1;
    if (csid === 0) {
      if (avail < 2) return 0;
      csid = buf[off + 1] + 64;
      pos = off + 2;
    } else if (csid === 1) {
      if (avail < 3) return 0;
      csid = buf[off + 1] + buf[off + 2] * 256 + 64;
      pos = off + 3;
    }
    const headerSize = MESSAGE_HEADER_SIZE[fmt];
    if (buf.byteLength - pos < headerSize) return 0;
    let cs = this.streams.get(csid);
    if (!cs) {
      if (fmt !== 0) throw new RtmpChunkError(`chunk type ${fmt} without a previous type 0 header`, csid);
      if (this.streams.size >= this.maxChunkStreams) {
        throw new RtmpChunkError(`more than ${this.maxChunkStreams} chunk streams`, csid);
      }
      cs = { timestamp: 0, delta: 0, length: 0, typeId: 0, streamId: 0, extended: false, parts: [], received: 0, inProgress: false };
    }
    if (fmt !== 3 && cs.inProgress) {
      throw new RtmpChunkError(`type ${fmt} header while a ${cs.length}-byte message is incomplete`, csid);
    }
    let field = 0;
    if (fmt <= 2) field = read24(buf, pos);
    const hasExtended = fmt <= 2 ? field === EXTENDED : cs.extended;
    if (buf.byteLength - pos - headerSize < (hasExtended ? 4 : 0)) return 0;
    const ext = hasExtended ? readU32(buf, pos + headerSize) : 0;
    const value = hasExtended ? ext : field;
    if (fmt <= 1) {
      const length = read24(buf, pos + 3);
      if (length > this.maxMessageSize) {
        throw new RtmpChunkError(`message length ${length} exceeds the limit of ${this.maxMessageSize}`, csid);
      }
      cs.length = length;
      cs.typeId = buf[pos + 6];
    }
    if (fmt === 0) {
      cs.streamId = (buf[pos + 7] | (buf[pos + 8] << 8) | (buf[pos + 9] << 16) | (buf[pos + 10] << 24)) >>> 0;
      cs.timestamp = value;
    } else if (fmt <= 2 || !cs.inProgress) {
      cs.timestamp = (cs.timestamp + (fmt <= 2 ? value : hasExtended ? ext : cs.delta)) >>> 0;
    }
    if (fmt <= 2) {
      cs.delta = value;
      cs.extended = hasExtended;
    }
    this.streams.set(csid, cs);
    if (!cs.inProgress) {
      cs.inProgress = true;
      cs.received = 0;
      cs.parts = [];
    }
    this.current = cs;
    this.currentCsid = csid;
    this.chunkRemaining = Math.min(this.chunkSizeValue, cs.length - cs.received);
    return pos + headerSize + (hasExtended ? 4 : 0) - off;
  }

  private readData(buf: Uint8Array, off: number, out: RtmpMessage[]): number {
    const cs = this.current;
    if (!cs) return off;
    const n = Math.min(this.chunkRemaining, buf.byteLength - off);
    const piece = buf.subarray(off, off + n);
    this.chunkRemaining -= n;
    cs.received += n;
    if (cs.received === cs.length) {
      this.complete(cs, piece, out);
    } else {
      this.buffered += n;
      if (this.buffered > this.maxBufferedBytes) {
        throw new RtmpChunkError(`more than ${this.maxBufferedBytes} bytes of incomplete messages`, this.currentCsid);
      }
      // Copied: the caller owns `buf` (and may reuse it); the parts are joined once when the
      // message completes. `new Uint8Array(view)` copies; a Buffer's slice() would not.
      cs.parts.push(new Uint8Array(piece));
      if (this.chunkRemaining === 0) this.current = undefined;
    }
    return off + n;
  }

  private complete(cs: ChunkStream, last: Uint8Array, out: RtmpMessage[]): void {
    let payload = last;
    if (cs.parts.length > 0) {
      payload = new Uint8Array(cs.length);
      let at = 0;
      for (const p of cs.parts) {
        payload.set(p, at);
        at += p.byteLength;
      }
      payload.set(last, at);
      this.buffered -= cs.length - last.byteLength;
    }
    cs.parts = [];
    cs.inProgress = false;
    this.current = undefined;
    this.chunkRemaining = 0;
    const msg: RtmpMessage = { typeId: cs.typeId, streamId: cs.streamId, timestamp: cs.timestamp, payload };
    this.applyControl(msg);
    out.push(msg);
  }

  /** §5.4.1 Set Chunk Size and §5.4.2 Abort act on the decoder itself. */
  private applyControl(msg: RtmpMessage): void {
    if (msg.typeId !== MessageType.SetChunkSize && msg.typeId !== MessageType.Abort) return;
    if (msg.payload.byteLength < 4) throw new RtmpChunkError(`control message type ${msg.typeId} shorter than 4 bytes`);
    const value = readU32(msg.payload, 0);
    if (msg.typeId === MessageType.SetChunkSize) {
      // §5.4.1: bit 0 must be zero; valid sizes are 1..0x7FFFFFFF.
      if (value === 0 || value > 0x7fffffff) throw new RtmpChunkError(`invalid chunk size ${value}`);
      if (value > this.maxChunkSize) throw new RtmpChunkError(`chunk size ${value} exceeds the limit of ${this.maxChunkSize}`);
      this.chunkSizeValue = value;
      return;
    }
    const cs = this.streams.get(value);
    if (cs?.inProgress) {
      for (const p of cs.parts) this.buffered -= p.byteLength;
      cs.parts = [];
      cs.inProgress = false;
    }
  }
}

function read24(b: Uint8Array, o: number): number {
  return (b[o] << 16) | (b[o + 1] << 8) | b[o + 2];
}

function readU32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}
