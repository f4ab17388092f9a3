/**
 * RTP sequence and timestamp arithmetic (RFC 3550 §5.1, Appendix A.1). Every comparison of
 * 16-bit sequence numbers or 32-bit timestamps in this code base goes through here, because
 * `<` on wrapping counters is wrong once per 65536 packets.
 */
export const SEQ_MODULO = 0x10000;
export const TIMESTAMP_MODULO = 0x100000000;

/** `b - a` for 16-bit sequence numbers, in [-32768, 32767] (wraps at 65536). */
export function seqDiff(a: number, b: number): number {
  const d = ((b - a) & 0xffff) >>> 0;
  return d >= 0x8000 ? d - SEQ_MODULO : d;
}

/** Whether `a` comes before `b` in 16-bit sequence space. */
export function seqLessThan(a: number, b: number): boolean {
  return seqDiff(a, b) > 0;
}

/** `seq + n` wrapped to 16 bits. */
export function seqAdd(seq: number, n: number): number {
  return (((seq + n) % SEQ_MODULO) + SEQ_MODULO) % SEQ_MODULO;
}

/** `b - a` for 32-bit RTP timestamps, in [-2^31, 2^31). */
export function timestampDiff(a: number, b: number): number {
  return ((b >>> 0) - (a >>> 0)) | 0;
}

/** Any integer (possibly beyond 32 bits or negative) wrapped into RTP timestamp space. */
export function wrapTimestamp(t: number): number {
  const r = t % TIMESTAMP_MODULO;
  return r < 0 ? r + TIMESTAMP_MODULO : r;
}
