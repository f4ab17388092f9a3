/**
 * UDP datagrams read in one pass of the event loop's poll phase, handed on together. libuv
 * reads up to 32 datagrams per socket per wake-up and node:dgram calls back once per datagram;
 * a camera sends a video frame's packets back to back, so several of one track arrive in the
 * same pass. Receivers queue what they read and are flushed once, right after the poll phase
 * (one `setImmediate` for all of them, not a timer per camera): one bus message per track per
 * pass instead of one per datagram, for no added wait beyond the pass itself.
 */
export interface ReadRunMember {
  /** Hands on what was queued since the last flush. */
  flushQueued(): void;
}

export class ReadRun {
  private readonly waiting = new Set<ReadRunMember>();
  private scheduled = false;
  private readonly run = (): void => this.flush();

  /** `member` has queued something; it is flushed after the current poll phase. */
  queued(member: ReadRunMember): void {
    this.waiting.add(member);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.run);
  }

  private flush(): void {
    this.scheduled = false;
    const members = [...this.waiting];
    this.waiting.clear();
    for (const m of members) m.flushQueued();
  }
}

/** The process's one read run (all camera sessions share it). */
export const UDP_READ_RUN = new ReadRun();
