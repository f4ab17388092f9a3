/**
 * What every codec decoder returns for one packet. "Need more packets" is the common, normal
 * outcome (a fragment, or an access unit whose last packet has not arrived) and is a value,
 * not an exception; typed exceptions are kept for malformed payloads.
 */
export type DecodeResult<T> =
  | { readonly kind: 'need-more-packets' }
  | { readonly kind: 'complete'; readonly units: T[] };

export const NEED_MORE_PACKETS: DecodeResult<never> = Object.freeze({ kind: 'need-more-packets' });

export function complete<T>(units: T[]): DecodeResult<T> {
  return units.length === 0 ? NEED_MORE_PACKETS : { kind: 'complete', units };
}

/** Counters a decoder keeps about what it had to drop (never unbounded state). */
export interface DepacketizerStats {
  /** Packets missing according to sequence number gaps. */
  lostPackets: number;
  /** Duplicate or late (reordered) packets ignored. */
  ignoredPackets: number;
  /** NAL units / AUs dropped because a fragment was lost or a limit was hit. */
  droppedUnits: number;
}
