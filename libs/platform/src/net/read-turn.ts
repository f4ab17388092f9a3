import { performance } from 'node:perf_hooks';

/**
 * Keeps the event loop turning while connections deliver more than the process can handle.
 *
 * libuv serves a readable socket with up to 32 reads (64 KiB each, here) before it moves on, and
 * returns to its poll only once every ready socket is served. When cameras send faster than the
 * process parses (200 cameras on one core: 1.5 cores of work), one poll pass never ended: reads
 * went on for minutes while no timer fired and no connection was accepted, so the API, the
 * metrics and new RTSP readers hung ("fetch failed" in the 200-camera benchmark).
 *
 * A turn starts at the first read handled and ends in the loop's check phase. Once a turn has
 * spent `budgetMs` on reads, a connection that reads copies its chunk, pauses, and its chunk is
 * handled at the end of the turn, within the next turn's budget, before it reads again. So a
 * pass costs at most the budget plus one copy per ready socket; every connection gets its turn
 * in order; nothing is dropped (TCP holds what is not read, and slows the sender down).
 *
 * Read coalescing (`coalesceMs`, READ_COALESCE_MS; what a network card's interrupt coalescing
 * does for its driver): a turn that handled reads and took less than `coalesceMs` waits out the
 * rest before the loop polls again. Fifty cameras send a burst each about every 15 ms, so
 * without it the process woke for nearly every burst, and each wake-up (a context switch, the
 * poll, the loop's phases) cost as much as handling the burst; after the wait one poll returns
 * the bursts of many cameras. Data waits in the kernel's socket buffers meanwhile, at most
 * `coalesceMs`; a turn already as long as that (a busy process) does not wait at all.
 */
export class ReadTurn {
  /** Shortest turn that handled reads, ms (0: no coalescing). */
  coalesceMs = 0;
  /** Turns that handled reads, and those of them that waited (coalesced). */
  turns = 0;
  coalesced = 0;
  private turnStart: number | undefined;
  private queue: (() => void)[] = [];

  constructor(
    readonly budgetMs = READ_TURN_BUDGET_MS,
    private readonly now: () => number = () => performance.now(),
    private readonly schedule: (fn: () => void) => void = (fn) => setImmediate(fn),
    /** Blocks the thread for `ms` (the coalescing wait). */
    private readonly wait: (ms: number) => void = blockFor,
  ) {}

  /** Call before handling a read: true when this turn's budget is spent (defer the read). */
  overBudget(): boolean {
    const now = this.open();
    return now - (this.turnStart ?? now) >= this.budgetMs;
  }

  /** A read is handled (one that cannot be deferred: a batched UDP receive): opens the turn if none is. Returns the time. */
  open(): number {
    const now = this.now();
    if (this.turnStart === undefined) {
      this.turnStart = now;
      this.schedule(() => this.endTurn());
    }
    return now;
  }

  /** A read put off: `handle` runs at the end of the turn (in order), or later if that turn is spent too. */
  defer(handle: () => void): void {
    this.queue.push(handle);
  }

  /** Reads put off and not handled yet. */
  get deferred(): number {
    return this.queue.length;
  }

  private endTurn(): void {
    if (this.coalesceMs > 0 && this.turnStart !== undefined) {
      const left = this.turnStart + this.coalesceMs - this.now();
      if (left > 0) {
        this.coalesced++;
        this.wait(left);
      }
    }
    this.turns++;
    this.turnStart = undefined;
    const queue = this.queue;
    if (queue.length === 0) return;
    this.queue = [];
    // What runs here opens the next turn and counts against its budget; the first always runs.
    this.overBudget();
    for (let i = 0; i < queue.length; i++) {
      if (i > 0 && this.overBudget()) {
        this.queue = queue.slice(i).concat(this.queue);
        return;
      }
      queue[i]();
    }
  }
}

const SLEEP_CELL = new Int32Array(new SharedArrayBuffer(4));

/** Sleeps the thread (no event loop meanwhile): Atomics.wait on a cell nobody notifies. */
function blockFor(ms: number): void {
  Atomics.wait(SLEEP_CELL, 0, 0, ms);
}

/** Default share of one loop turn for reads, ms. */
export const READ_TURN_BUDGET_MS = 20;

/** The process's turn for camera connections (every RtspClientConnection reads through it). */
export const CAMERA_READ_TURN = new ReadTurn();
