/**
 * Delay before the next connection attempt to a camera: exponential (1 s, 2 s, 4 s … capped
 * at 30 s) with ±20 % jitter so many cameras behind one dead switch do not reconnect in step.
 * A session that delivered media for a minute counts as healthy and starts the series over.
 */
export interface ReconnectBackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
  /** Fraction of the delay added or removed at random. */
  jitter?: number;
  /** Media for this long resets the series. */
  healthyAfterMs?: number;
  /** [0, 1); injected in tests. */
  random?: () => number;
}

export class ReconnectBackoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly healthyAfterMs: number;
  private readonly random: () => number;
  private failures = 0;

  constructor(options: ReconnectBackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 1000;
    this.maxMs = options.maxMs ?? 30_000;
    this.factor = options.factor ?? 2;
    this.jitter = options.jitter ?? 0.2;
    this.healthyAfterMs = options.healthyAfterMs ?? 60_000;
    this.random = options.random ?? Math.random;
  }

  /** Attempts that failed since the last healthy session. */
  get attempts(): number {
    return this.failures;
  }

  /** The delay before the next attempt; each call counts one more failure. */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * this.factor ** Math.min(this.failures, 32));
    this.failures++;
    const spread = base * this.jitter * (2 * this.random() - 1);
    return Math.max(0, Math.round(Math.min(this.maxMs * (1 + this.jitter), base + spread)));
  }

  /** A session ended after `mediaMs` of media: a long enough one starts the series over. */
  sessionEnded(mediaMs: number): void {
    if (mediaMs >= this.healthyAfterMs) this.failures = 0;
  }

  reset(): void {
    this.failures = 0;
  }
}
