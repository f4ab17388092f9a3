/**
 * Which of a stream's ordered sources (0 = the primary, then its backups) is pulled: the pure
 * policy, with no sockets or timers (the camera puller feeds it events and the clock).
 *
 * - The active source fails (connect refused, session ended, media stopped): the next source
 *   in order takes over at once, wrapping to the primary after the last backup. Only when every
 *   source has failed since the last one that delivered media does the puller wait (its
 *   reconnect backoff) before the next attempt, so a dead fleet is not hammered. With one
 *   source this is today's behaviour: every failure waits.
 * - While a backup is active the primary is probed; once it has delivered media continuously
 *   for `switchBackAfterMs` the primary takes over again. A probe failure restarts that clock.
 * - `switches` counts every change of the active source (failovers and returns).
 */
export interface SourceSelectionOptions {
  /** How many sources (≥ 1). */
  sources: number;
  /** The primary's healthy time before it replaces a backup. */
  switchBackAfterMs: number;
}

/** What the puller does after a failure: connect to `source`, after its backoff when `wait`. */
export interface NextAttempt {
  source: number;
  wait: boolean;
}

export class SourceSelection {
  readonly sources: number;
  private readonly switchBackAfterMs: number;
  private activeIndex = 0;
  private switchCount = 0;
  /** Sources that failed one after another since media last flowed. */
  private failuresInRow = 0;
  /** When the primary's probe began delivering media without a break (undefined: not healthy). */
  private primaryHealthySince: number | undefined;

  constructor(options: SourceSelectionOptions) {
    if (!Number.isInteger(options.sources) || options.sources < 1) throw new RangeError(`sources must be a positive integer, got ${options.sources}`);
    if (!(options.switchBackAfterMs >= 0)) throw new RangeError(`switchBackAfterMs must be ≥ 0, got ${options.switchBackAfterMs}`);
    this.sources = options.sources;
    this.switchBackAfterMs = options.switchBackAfterMs;
  }

  /** Index of the source pulled now. */
  get active(): number {
    return this.activeIndex;
  }

  get switches(): number {
    return this.switchCount;
  }

  /** A backup is active: the primary should be probed. */
  get probingPrimary(): boolean {
    return this.activeIndex !== 0;
  }

  /** The active source delivers media: a later failure moves on without waiting. */
  playing(): void {
    this.failuresInRow = 0;
  }

  /** The active source failed: which source is next, and whether to wait first. */
  failed(): NextAttempt {
    this.failuresInRow++;
    const wait = this.failuresInRow >= this.sources;
    if (wait) this.failuresInRow = 0;
    this.setActive((this.activeIndex + 1) % this.sources);
    return { source: this.activeIndex, wait };
  }

  /** The primary's probe delivered media at `now`. */
  primaryHealthy(now: number): void {
    if (this.activeIndex === 0) return;
    this.primaryHealthySince ??= now;
  }

  /** The primary's probe failed or its media stopped. */
  primaryUnhealthy(): void {
    this.primaryHealthySince = undefined;
  }

  /** True when a backup is active and the primary has been healthy long enough to return. */
  shouldReturnToPrimary(now: number): boolean {
    return this.activeIndex !== 0 && this.primaryHealthySince !== undefined && now - this.primaryHealthySince >= this.switchBackAfterMs;
  }

  /** The primary takes over again (after `shouldReturnToPrimary`). */
  returnToPrimary(): void {
    this.failuresInRow = 0;
    this.setActive(0);
  }

  private setActive(index: number): void {
    if (index !== this.activeIndex) this.switchCount++;
    this.activeIndex = index;
    this.primaryHealthySince = undefined;
  }
}
