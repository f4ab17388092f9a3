import { sourceGenerationKey } from '@streamgate/contracts';
import type { StateStore } from '@streamgate/platform';

/**
 * The one count of source generations per stream, for RTMP publishes and camera sessions
 * alike: every start of a source is the next number in `generations/<s>` (1 on the first), so
 * consumers tell a new source from the old one whichever kind it is and whichever ingest
 * instance runs it. Only the stream's lease holder starts its source, so read-then-write does
 * not race. The counter has no TTL: a stream that was down for an hour still counts on.
 */
export class SourceGenerations {
  constructor(private readonly store: StateStore) {}

  /** The generation of the latest start (0 before the first). */
  async current(stream: string): Promise<number> {
    const n = Number((await this.store.get(sourceGenerationKey(stream))) ?? 0);
    return Number.isSafeInteger(n) && n >= 0 ? n : 0;
  }

  /** Counts a start and returns its generation. */
  async next(stream: string): Promise<number> {
    const n = (await this.current(stream)) + 1;
    await this.record(stream, n);
    return n;
  }

  /** Records a start counted in memory (a source whose start cannot wait for the store). */
  async record(stream: string, generation: number): Promise<void> {
    await this.store.set(sourceGenerationKey(stream), String(generation));
  }
}
