import type { StreamDescription } from '@streamgate/contracts';

/** Most stream descriptions remembered for DESCRIBE while their source is down. */
const MAX_REMEMBERED = 4096;

interface Outage {
  generation: number;
  source: string;
  timer: NodeJS.Timeout;
}

/**
 * Streams whose source is down but whose readers stay (DESIGN.md "Continuity"): a camera that
 * drops or an RTMP publisher that reconnects is the same stream to its readers, who resume at
 * the next keyframe. Only when the source stays away for `timeoutMs` (SOURCE_TIMEOUT) do they
 * get their clean end (`onTimeout`). Meanwhile DESCRIBE is answered from the last description,
 * so new readers may join and wait.
 */
export class SourceOutages {
  private readonly outages = new Map<string, Outage>();
  private readonly descriptions = new Map<string, StreamDescription>();

  constructor(
    private readonly timeoutMs: number,
    private readonly onTimeout: (stream: string, generation: number, source: string) => void,
  ) {}

  /** A description served to a reader: the one DESCRIBE answers with while the source is down. */
  remember(description: StreamDescription): void {
    this.descriptions.delete(description.stream);
    this.descriptions.set(description.stream, description);
    if (this.descriptions.size > MAX_REMEMBERED) {
      const oldest = this.descriptions.keys().next();
      if (!oldest.done && !this.outages.has(oldest.value)) this.descriptions.delete(oldest.value);
    }
  }

  /** The source stopped. False when readers must end now (SOURCE_TIMEOUT 0). */
  stopped(stream: string, generation: number, source: string): boolean {
    if (this.timeoutMs <= 0) return false;
    const previous = this.outages.get(stream);
    if (previous) clearTimeout(previous.timer);
    const timer = setTimeout(() => {
      this.outages.delete(stream);
      this.descriptions.delete(stream);
      this.onTimeout(stream, generation, source);
    }, this.timeoutMs);
    timer.unref();
    this.outages.set(stream, { generation, source, timer });
    return true;
  }

  /** The source is back; true when it had been down (its readers stayed). */
  started(stream: string): boolean {
    const outage = this.outages.get(stream);
    if (!outage) return false;
    clearTimeout(outage.timer);
    this.outages.delete(stream);
    return true;
  }

  isDown(stream: string): boolean {
    return this.outages.has(stream);
  }

  /** The last description of a stream whose source is down (undefined otherwise). */
  descriptionWhileDown(stream: string): StreamDescription | undefined {
    return this.outages.has(stream) ? this.descriptions.get(stream) : undefined;
  }

  close(): void {
    for (const o of this.outages.values()) clearTimeout(o.timer);
    this.outages.clear();
  }
}

/**
 * Whether readers set up for `before` can go on with `after`: the same tracks with the same
 * codecs, clock rates and payload types. Parameter sets may change (they go in-band before
 * keyframes); a codec change ends the readers.
 */
export function sameCodecs(before: StreamDescription, after: StreamDescription): boolean {
  if (before.tracks.length !== after.tracks.length) return false;
  return before.tracks.every((t, i) => {
    const u = after.tracks[i];
    return t.id === u.id && t.media === u.media && t.codec === u.codec && t.clockRate === u.clockRate && t.payloadType === u.payloadType;
  });
}
