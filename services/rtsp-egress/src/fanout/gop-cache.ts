import type { AccessUnitMessage } from '@streamgate/contracts';

export interface GopCacheLimits {
  /** Most access units kept (all tracks). */
  maxAccessUnits: number;
  /** Most RTP bytes kept. */
  maxBytes: number;
}

/**
 * The access units since the last video keyframe, all tracks, so a reader joining mid-stream
 * starts decoding at once. When a GOP outgrows the limits the cache is emptied until the next
 * keyframe (a partial GOP is useless to a decoder).
 */
export class GopCache {
  private units: AccessUnitMessage[] = [];
  private bytes = 0;
  private valid = false;

  constructor(private readonly limits: GopCacheLimits, private readonly videoTrack: number | undefined) {}

  add(au: AccessUnitMessage): void {
    if (this.videoTrack === undefined) return;
    if (au.track === this.videoTrack && au.keyframe) {
      this.units = [];
      this.bytes = 0;
      this.valid = true;
    }
    if (!this.valid) return;
    const size = auByteLength(au);
    if (this.units.length + 1 > this.limits.maxAccessUnits || this.bytes + size > this.limits.maxBytes) {
      this.clear();
      return;
    }
    this.units.push(au);
    this.bytes += size;
  }

  clear(): void {
    this.units = [];
    this.bytes = 0;
    this.valid = false;
  }

  /** Starts with a video keyframe, or is empty. */
  get accessUnits(): readonly AccessUnitMessage[] {
    return this.units;
  }
}

export function auByteLength(au: AccessUnitMessage): number {
  let n = 0;
  for (const p of au.packets) n += p.byteLength;
  return n;
}
