/**
 * One owner's output buffers (a stream's access units, which the packetizer, its GOP cache and
 * readers keep for about a GOP) cut from shared slabs instead of allocated one by one: an AAC
 * frame or a small video frame is then a view, not an ArrayBuffer of its own with a zero-filled
 * backing store for the garbage collector to track. Pieces are not zeroed: callers write every
 * byte (FramedRtpWriter checks it wrote exactly its size).
 *
 * A slab lives while any piece of it is referenced. An owner whose pieces share a lifetime keeps
 * at most about one slab beyond what it references, so each stream has its own: one stream's
 * old GOP never holds another's slab. Pieces larger than `maxPiece` get a buffer of their own.
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
    if (size > this.maxPiece) return unzeroed(size);
    let slab = this.slab;
    if (!slab || this.used + size > slab.byteLength) {
      slab = this.slab = unzeroed(this.slabSize);
      this.used = 0;
    }
    const piece = slab.subarray(this.used, this.used + size);
    this.used += size;
    return piece;
  };
}

/** 32 KiB: an AAC frame is ~0.4 KB, a 360p P-frame ~5 KB; a 1080p one gets its own buffer. */
export const DEFAULT_SLAB_SIZE = 32 * 1024;

/** A plain Uint8Array (slice() copies) over memory that is not zeroed first. */
function unzeroed(size: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(size);
  return new Uint8Array(b.buffer, b.byteOffset, size);
}
