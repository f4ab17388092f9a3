import type { AccessUnitMessage } from '@streamgate/contracts';

/**
 * Merged writes for TCP readers (RTSP_TCP_MERGE_MS): with many TCP readers on a stream, the
 * kernel's cost per write (one TCP segment through loopback or the NIC, one wake-up of the
 * reader) is most of the fan-out's CPU, so units are held for at most `windowMs` after the
 * first of them and written together: an audio frame goes out with the next video frame
 * instead of alone. The same trade SRS makes with its merged-write latency; see
 * docs/benchmarks.md, "RTSP fan-out".
 */
export class MergeWindow {
  private units: AccessUnitMessage[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly windowMs: number, private readonly onDue: () => void) {}

  get pending(): boolean {
    return this.units.length > 0;
  }

  /** Holds `units`; the first one held starts the window. */
  add(units: readonly AccessUnitMessage[]): void {
    for (const au of units) this.units.push(au);
    this.timer ??= setTimeout(this.onDue, this.windowMs);
  }

  /** Everything held, in order; the window closes. */
  take(): AccessUnitMessage[] {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const units = this.units;
    this.units = [];
    return units;
  }
}
