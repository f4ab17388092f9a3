/**
 * Buffers of one lifetime cut from slabs instead of allocated one by one: an AAC frame or a
 * small video frame is then a view, not an ArrayBuffer of its own with a zero-filled backing
 * store for the garbage collector to track. Pieces are not zeroed: callers write every byte
 * (FramedRtpWriter checks it wrote exactly its size). Pieces larger than `maxPiece` get a
 * buffer of their own.
 *
 * A slab lives while any piece of it is referenced, so a slab is shared only by pieces that die
 * together:
 *  - a stream's access units live about a GOP (its cache, its readers): one slab per stream
 *    (the packetizer's StreamState), so one stream's old GOP never holds another's memory;
 *  - ingest's read envelopes live until the packetizer has read them: one slab for the process
 *    (camera-puller's READ_ENVELOPES), which is garbage within milliseconds, while young.
 */
export class BufferSlab {
  private slab: Uint8Array | undefined;
  private used = 0;

  constructor(
    readonly slabSize = DEFAULT_SLAB_SIZE,
    readonly maxPiece = slabSize / 4,
  ) {
    if (maxPiece > slabSize) throw new RangeError(`maxPiece ${maxPiece} is larger than a slab of ${slabSize}`);
  }

  /** `size` bytes, not zeroed. */
  readonly allocate = (size: number): Uint8Array => {
    if (size > this.maxPiece) return unzeroedBytes(size);
    let slab = this.slab;
    if (!slab || this.used + size > slab.byteLength) {
      slab = this.slab = unzeroedBytes(this.slabSize);
      this.used = 0;
    }
    const piece = slab.subarray(this.used, this.used + size);
    this.used += size;
    return piece;
  };
}

/** 32 KiB: an AAC frame is ~0.4 KB, a 360p P-frame ~5 KB; a 1080p one gets its own buffer. */
export const DEFAULT_SLAB_SIZE = 32 * 1024;

/**
 * `size` bytes that are not zeroed first, as a plain Uint8Array, so that a consumer's slice() is
 * still a copy (a Buffer's is a view). For bytes the caller writes in full. `pooled`: small sizes
 * come from Node's shared pool (for short-lived bytes: a kept one keeps its 8 KiB pool); by
 * default the memory is the buffer's own.
 */
export function unzeroedBytes(size: number, pooled = false): Uint8Array {
  const b = pooled ? Buffer.allocUnsafe(size) : Buffer.allocUnsafeSlow(size);
  return new Uint8Array(b.buffer, b.byteOffset, size);
}
