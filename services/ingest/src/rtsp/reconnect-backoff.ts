/**
 * Delay before the next connection attempt to a camera: exponential (1 s, 2 s, 4 s … capped
 * at 30 s) with ±20 % jitter so many cameras behind one dead switch do not reconnect in step.
 * A camera that is simply gone (connection refused, reset, closed: an `outage`) is first
 * retried every `outageMs` (500 ms) for `outageAttempts` (20: 10 s) attempts, so readers kept
 * through a short drop (SOURCE_TIMEOUT) see video again soon after it returns; a camera that
 * answers with an error (401, 404, a protocol violation) gets the exponential series at once.
 * A session that delivered media for `healthyAfterMs` (10 s) starts the series over.
 */
export interface ReconnectBackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
  /** Fraction of the delay added or removed at random. */
  jitter?: number;
  /** Media for this long resets the series. */
  healthyAfterMs?: number;
  /** Delay between the first attempts after an outage, and how many of them. */
  outageMs?: number;
  outageAttempts?: number;
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
  private readonly outageMs: number;
  private readonly outageAttempts: number;
  private failures = 0;

  constructor(options: ReconnectBackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 1000;
    this.maxMs = options.maxMs ?? 30_000;
    this.factor = options.factor ?? 2;
    this.jitter = options.jitter ?? 0.2;
    this.healthyAfterMs = options.healthyAfterMs ?? 10_000;
    this.outageMs = options.outageMs ?? 500;
    this.outageAttempts = options.outageAttempts ?? 20;
    this.random = options.random ?? Math.random;
  }

  /** Attempts that failed since the last healthy session. */
  get attempts(): number {
    return this.failures;
  }

  /**
   * The delay before the next attempt; each call counts one more failure. `outage`: the camera
   * is gone rather than refusing us (see the class comment).
   */
  next(outage = false): number {
    const fast = outage && this.failures < this.outageAttempts;
    const exponent = Math.max(0, this.failures - (outage ? this.outageAttempts : 0));
    const base = fast ? this.outageMs : Math.min(this.maxMs, this.initialMs * this.factor ** Math.min(exponent, 32));
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
