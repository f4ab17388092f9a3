/**
 * The access units (all tracks, as encoded envelopes) since the latest video keyframe, so a
 * new reader can start decoding at once. Bounded by count and bytes: when a GOP outgrows the
 * bounds the cache is dropped (and refilled from the next keyframe) rather than grown.
 */
export interface GopCacheLimits {
  maxUnits: number;
  maxBytes: number;
}

export class GopCache {
  private units: Uint8Array[] = [];
  private bytes = 0;
  /** False between an overflow (or a reset) and the next keyframe. */
  private open = false;
  overflows = 0;

  constructor(private readonly limits: GopCacheLimits) {}

  get size(): number {
    return this.units.length;
  }

  get byteLength(): number {
    return this.bytes;
  }

  add(envelope: Uint8Array, videoKeyframe: boolean): void {
    if (videoKeyframe) {
      this.units = [];
      this.bytes = 0;
      this.open = true;
    }
    if (!this.open) return;
    if (this.units.length + 1 > this.limits.maxUnits || this.bytes + envelope.byteLength > this.limits.maxBytes) {
      this.overflows++;
      this.clear();
      return;
    }
    this.units.push(envelope);
    this.bytes += envelope.byteLength;
  }

  clear(): void {
    this.units = [];
    this.bytes = 0;
    this.open = false;
  }

  /**
   * The cached envelopes as one envelope list (the `encodeEnvelopeList` format: (u32 length,
   * envelope)*), copied once into one buffer: the bytes are already encoded, so they are not
   * decoded and re-encoded.
   */
  toEnvelopeList(): Uint8Array {
    const out = new Uint8Array(this.bytes + 4 * this.units.length);
    const view = new DataView(out.buffer);
    let offset = 0;
    for (const u of this.units) {
      view.setUint32(offset, u.byteLength);
      out.set(u, offset + 4);
      offset += 4 + u.byteLength;
    }
    return out;
  }
}
