/**
 * Maps the RTP timestamps a sender put on its access units to the timestamps we send, so that
 * readers never see the sender's jumps (camera reboots, SSRC changes, clock resets):
 *
 *   out = anchorOut + (in - anchorIn)     while each step from the highest input so far is
 *                                         sane: -maxBackward <= Δ <= maxForward
 *
 * A step outside that range (or a `reanchor()` request) re-anchors: the access unit gets
 * the highest output so far plus one frame duration, or plus the wall time since the previous
 * access unit when that is longer (a real gap), so that tracks re-anchored together stay
 * roughly aligned. Small backward steps pass through because B-frames make presentation
 * timestamps non-monotonic in decode order (RFC 6184 §5.1); audio uses maxBackward 0.
 * Output starts at `outputBase` (random, RFC 3550 §5.1) and is wrapped to 32 bits; with
 * `onArrivalClock` it starts at `outputBase` plus the first unit's arrival time (Unix ms) in
 * the clock, so two mappers with one base that start at different times (a packetizer taking
 * a stream over from one that died) put the same live unit at about the same output timestamp.
 */
import { timestampDiff, wrapTimestamp } from './sequence';

export interface TimestampMapperOptions {
  clockRate: number;
  /** First output timestamp (with `onArrivalClock`: plus the first arrival time in the clock). */
  outputBase: number;
  /** The timeline is `outputBase` + arrival time (Unix ms) in the clock from the first unit on. Default false. */
  onArrivalClock?: boolean;
  /** Largest forward step taken as continuous, seconds. Default 10. */
  maxForwardSeconds?: number;
  /** Largest backward step taken as reordering, seconds. Default 1 (B-frames); 0 for audio. */
  maxBackwardSeconds?: number;
  /** Frame duration assumed until one is observed, ticks. Default clockRate / 25. */
  defaultFrameDuration?: number;
}

interface Anchor {
  /** Highest input timestamp so far (32-bit) and its output (not wrapped). */
  highestIn: number;
  highestOut: number;
  previousIn: number;
}

/** Recent forward steps kept to learn the frame duration. */
const STEP_HISTORY = 16;

export class TimestampMapper {
  /** Re-anchors caused by the input (not by `reanchor()`). */
  jumps = 0;
  private readonly maxForward: number;
  private readonly maxBackward: number;
  private readonly defaultFrameDuration: number;
  private anchor: Anchor | undefined;
  private maxOut: number | undefined;
  private lastArrivalMs: number | undefined;
  private reanchorPending = false;
  private readonly steps: number[] = [];

  constructor(private readonly options: TimestampMapperOptions) {
    this.maxForward = Math.round((options.maxForwardSeconds ?? 10) * options.clockRate);
    this.maxBackward = Math.round((options.maxBackwardSeconds ?? 1) * options.clockRate);
    this.defaultFrameDuration = options.defaultFrameDuration ?? Math.round(options.clockRate / 25);
  }

  get clockRate(): number {
    return this.options.clockRate;
  }

  /** The smallest recent forward step between consecutive inputs, or the default. */
  get frameDuration(): number {
    return this.steps.length === 0 ? this.defaultFrameDuration : Math.min(...this.steps);
  }

  /** The output timestamp for input `input` of an access unit that arrived at `arrivalMs`. */
  map(input: number, arrivalMs: number): number {
    const ts = input >>> 0;
    const a = this.anchor;
    let out: number;
    if (a === undefined) {
      out = this.options.onArrivalClock ? wrapTimestamp(this.options.outputBase + Math.round((arrivalMs * this.options.clockRate) / 1000)) : this.options.outputBase;
      this.anchor = { highestIn: ts, highestOut: out, previousIn: ts };
    } else {
      const delta = timestampDiff(a.highestIn, ts);
      if (!this.reanchorPending && delta >= -this.maxBackward && delta <= this.maxForward) {
        out = a.highestOut + delta;
        this.observeStep(timestampDiff(a.previousIn, ts));
        if (delta > 0) {
          a.highestIn = ts;
          a.highestOut = out;
        }
        a.previousIn = ts;
      } else {
        if (!this.reanchorPending) this.jumps++;
        out = this.continuation(arrivalMs);
        this.anchor = { highestIn: ts, highestOut: out, previousIn: ts };
      }
    }
    this.reanchorPending = false;
    this.maxOut = Math.max(this.maxOut ?? out, out);
    this.lastArrivalMs = arrivalMs;
    return wrapTimestamp(out);
  }

  /** The next input re-anchors: a new source, or another track of the stream jumped. */
  reanchor(): void {
    if (this.anchor) this.reanchorPending = true;
  }

  private continuation(arrivalMs: number): number {
    const frame = this.frameDuration;
    const base = this.maxOut ?? this.options.outputBase;
    const elapsed = this.lastArrivalMs === undefined ? 0 : Math.round(((arrivalMs - this.lastArrivalMs) * this.options.clockRate) / 1000);
    return base + (elapsed > 2 * frame ? elapsed : frame);
  }

  private observeStep(step: number): void {
    if (step <= 0 || step > this.options.clockRate) return;
    this.steps.push(step);
    if (this.steps.length > STEP_HISTORY) this.steps.shift();
  }
}
