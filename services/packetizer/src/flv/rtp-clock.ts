import { wrapTimestamp } from '@streamgate/protocol-rtp';

/**
 * Maps FLV millisecond timestamps to RTP timestamps without drift: the RTP time is always
 * computed from the full millisecond value (never accumulated), plus a random base per track
 * (RFC 3550 §5.1). FLV time wraps at 2^32 ms and 2^32 × 90 ≡ 0 mod 2^32, so video stays
 * continuous across the wrap.
 */
export class VideoClock {
  constructor(private readonly base: number) {}

  rtpTimestamp(ptsMs: number): number {
    return wrapTimestamp(this.base + ptsMs * 90);
  }
}

/**
 * AAC: each frame is `samplesPerFrame` samples, but FLV rounds times to whole milliseconds, so
 * ms × rate / 1000 jitters by up to a millisecond's worth. When the ms-derived time is within
 * one millisecond's worth of previous + samplesPerFrame we take the exact step; otherwise (a
 * gap or a jump) we follow the ms clock. The error therefore never exceeds 1 ms and never
 * accumulates.
 */
export class AudioClock {
  private previous: number | undefined;

  constructor(private readonly base: number, readonly sampleRate: number, readonly samplesPerFrame: number) {}

  rtpTimestamp(ms: number): number {
    const fromMs = Math.round((ms * this.sampleRate) / 1000);
    let ticks = fromMs;
    if (this.previous !== undefined) {
      const expected = this.previous + this.samplesPerFrame;
      if (Math.abs(fromMs - expected) <= this.sampleRate / 1000) ticks = expected;
    }
    this.previous = ticks;
    return wrapTimestamp(this.base + ticks);
  }
}
