/**
 * ISO/IEC 14496-12 (ISO BMFF) box serialization.
 *
 *  +-------------------+-------------------+---------------------------+
 *  | u32 size          | u32 type (4CC)    | body (size - 8 bytes)     |
 *  +-------------------+-------------------+---------------------------+
 *  A "full box" (§4.2) starts its body with u8 version and u24 flags.
 *
 * Boxes are described as a tree of `Box` values and serialized once: `boxByteLength` computes
 * the size, `writeBox` writes into a buffer the caller owns, `serializeBoxes` allocates once.
 */

export interface Box {
  /** Four-character code. */
  type: string;
  /** Full box (§4.2) header, written before the body. */
  full?: { version: number; flags: number };
  /** Body bytes written before the children. */
  body?: Uint8Array;
  children?: Box[];
}

export const BOX_HEADER_SIZE = 8;
const FULL_BOX_HEADER_SIZE = 4;

export class BoxWriteError extends Error {
  constructor(message: string) {
    super(`fmp4: ${message}`);
    this.name = 'BoxWriteError';
  }
}

export function boxByteLength(box: Box): number {
  let n = BOX_HEADER_SIZE + (box.full ? FULL_BOX_HEADER_SIZE : 0) + (box.body?.byteLength ?? 0);
  for (const c of box.children ?? []) n += boxByteLength(c);
  return n;
}

/** Writes `box` into `out` at `offset`; returns the offset after it. */
export function writeBox(box: Box, out: Uint8Array, offset: number): number {
  if (box.type.length !== 4) throw new BoxWriteError(`box type "${box.type}" is not a four-character code`);
  const size = boxByteLength(box);
  if (size > 0xffffffff) throw new BoxWriteError(`box ${box.type} of ${size} bytes needs a 64-bit size`);
  if (offset + size > out.byteLength) throw new BoxWriteError('output buffer too small');
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(offset, size);
  for (let i = 0; i < 4; i++) out[offset + 4 + i] = box.type.charCodeAt(i);
  let pos = offset + BOX_HEADER_SIZE;
  if (box.full) {
    view.setUint32(pos, ((box.full.version & 0xff) << 24 | (box.full.flags & 0xffffff)) >>> 0);
    pos += FULL_BOX_HEADER_SIZE;
  }
  if (box.body) {
    out.set(box.body, pos);
    pos += box.body.byteLength;
  }
  for (const c of box.children ?? []) pos = writeBox(c, out, pos);
  return pos;
}

/** Serializes boxes back to back into one new buffer. */
export function serializeBoxes(boxes: readonly Box[]): Uint8Array {
  let size = 0;
  for (const b of boxes) size += boxByteLength(b);
  const out = new Uint8Array(size);
  let pos = 0;
  for (const b of boxes) pos = writeBox(b, out, pos);
  return out;
}

/** Little helper to build box bodies field by field, big-endian as ISO BMFF requires. */
export class BodyWriter {
  private readonly parts: number[] = [];
  private bytes: Uint8Array[] = [];
  private length = 0;

  u8(v: number): this {
    return this.push([v & 0xff]);
  }

  u16(v: number): this {
    return this.push([(v >>> 8) & 0xff, v & 0xff]);
  }

  u24(v: number): this {
    return this.push([(v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
  }

  u32(v: number): this {
    return this.push([(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
  }

  /** Signed 32-bit (trun v1 composition offsets). */
  i32(v: number): this {
    return this.u32(v >>> 0);
  }

  /** Unsigned 64-bit from a safe integer (decode times). */
  u64(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new BoxWriteError(`u64 value ${v} is not a non-negative safe integer`);
    return this.u32(Math.floor(v / 0x100000000)).u32(v % 0x100000000);
  }

  fourcc(s: string): this {
    if (s.length !== 4) throw new BoxWriteError(`"${s}" is not a four-character code`);
    return this.push([s.charCodeAt(0), s.charCodeAt(1), s.charCodeAt(2), s.charCodeAt(3)]);
  }

  zeros(n: number): this {
    return this.push(new Array<number>(n).fill(0));
  }

  raw(b: Uint8Array): this {
    this.flushNumbers();
    this.bytes.push(b);
    this.length += b.byteLength;
    return this;
  }

  build(): Uint8Array {
    this.flushNumbers();
    const out = new Uint8Array(this.length);
    let pos = 0;
    for (const b of this.bytes) {
      out.set(b, pos);
      pos += b.byteLength;
    }
    return out;
  }

  private push(values: number[]): this {
    for (const v of values) this.parts.push(v);
    this.length += values.length;
    return this;
  }

  private flushNumbers(): void {
    if (this.parts.length === 0) return;
    this.bytes.push(Uint8Array.from(this.parts));
    this.parts.length = 0;
  }
}
