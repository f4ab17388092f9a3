import type { RtspReader } from '@streamgate/testing';

/** Video packets a reader has received so far. */
export const videoPackets = (reader: RtspReader): number => reader.stats().tracks.find((t) => t.media === 'video')?.packets ?? 0;

/**
 * Watches a reader's video packet count every 20 ms and records every gap: the time between
 * the last packet before a stall and the first after it. A stall still open when read counts
 * up to now, so video that never came back is a gap too, not a zero.
 */
export class GapMonitor {
  private readonly timer: NodeJS.Timeout;
  private lastPackets = 0;
  private lastChange = Date.now();
  private readonly gaps: { at: number; ms: number }[] = [];

  private readonly count: () => number;

  /** `source`: one reader, or any running count of video packets (a reader that reconnects). */
  constructor(readonly name: string, source: RtspReader | (() => number)) {
    this.count = typeof source === 'function' ? source : () => videoPackets(source);
    this.lastPackets = this.packets();
    this.timer = setInterval(() => this.sample(), 20);
  }

  packets(): number {
    return this.count();
  }

  private sample(): void {
    const p = this.packets();
    if (p === this.lastPackets) return;
    const now = Date.now();
    this.gaps.push({ at: this.lastChange, ms: now - this.lastChange });
    this.lastPackets = p;
    this.lastChange = now;
  }

  /** The longest gap that started at or after `since` (ms epoch), an open stall included. */
  maxGapSince(since: number): number {
    const open = Date.now() - this.lastChange;
    const closed = this.gaps.filter((g) => g.at + g.ms >= since).map((g) => g.ms);
    return Math.max(0, open, ...closed);
  }

  /** Every gap longer than `minMs` (for histograms). */
  gapsOver(minMs: number): number[] {
    return this.gaps.map((g) => g.ms).filter((ms) => ms > minMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
