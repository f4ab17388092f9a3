import { seqAdd } from './sequence';

/**
 * Stamps SSRC and sequence numbers on outgoing packets so codec encoders never touch them.
 * Initial values are injectable (tests use fixed ones); otherwise they come from `random`,
 * as RFC 3550 §5.1 asks for random initial sequence numbers.
 */
export interface SequencerOptions {
  ssrc?: number;
  initialSequenceNumber?: number;
  /** Returns a uniformly random unsigned 32-bit integer. */
  random?: () => number;
}

export class Sequencer {
  readonly ssrc: number;
  private next: number;

  constructor(options: SequencerOptions = {}) {
    const random = options.random ?? (() => Math.floor(Math.random() * 0x100000000));
    this.ssrc = (options.ssrc ?? random()) >>> 0;
    this.next = (options.initialSequenceNumber ?? random()) & 0xffff;
  }

  /** The sequence number the next packet will get. */
  peek(): number {
    return this.next;
  }

  /** Returns the next sequence number and advances. */
  nextSequenceNumber(): number {
    const seq = this.next;
    this.next = seqAdd(seq, 1);
    return seq;
  }
}
