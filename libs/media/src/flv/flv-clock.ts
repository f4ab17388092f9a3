/**
 * FLV times (milliseconds) in the clock of the track's format, like RTP timestamps (u32,
 * wrapping), so FLV units and depacketized RTP units carry the same kind of timestamp.
 */
const wrap = (ticks: number): number => ((ticks % 0x100000000) + 0x100000000) % 0x100000000;

/**
 * Video: 90 kHz from the full millisecond value (never accumulated, so no drift). FLV time
 * wraps at 2^32 ms and 2^32 × 90 ≡ 0 mod 2^32, so video stays continuous across the wrap.
 */
export function flvVideoTimestamp(ptsMs: number): number {
  return wrap(ptsMs * 90);
}

/**
 * AAC: each frame is `samplesPerFrame` samples, but FLV rounds times to whole milliseconds, so
 * ms × rate / 1000 jitters by up to a millisecond's worth. When the ms-derived time is within
 * one millisecond's worth of previous + samplesPerFrame we take the exact step; otherwise (a
 * gap or a jump) we follow the ms clock. The error therefore never exceeds 1 ms and never
 * accumulates.
 */
export class FlvAudioClock {
  private previous: number | undefined;

  constructor(readonly sampleRate: number, readonly samplesPerFrame: number) {}

  timestamp(ms: number): number {
    const fromMs = Math.round((ms * this.sampleRate) / 1000);
    let ticks = fromMs;
    if (this.previous !== undefined) {
      const expected = this.previous + this.samplesPerFrame;
      if (Math.abs(fromMs - expected) <= this.sampleRate / 1000) ticks = expected;
    }
    this.previous = ticks;
    return wrap(ticks);
  }
}
