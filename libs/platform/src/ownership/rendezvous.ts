import { createHash } from 'node:crypto';

/**
 * Rendezvous (highest random weight) hashing: every instance scores every key, the highest
 * score owns it. Adding or removing an instance moves only the keys it wins or held, about
 * 1/N of them, and every instance computes the same answer from the same member list.
 */
export function rendezvousScore(instance: string, key: string): bigint {
  return createHash('sha256').update(instance).update('\0').update(key).digest().readBigUInt64BE(0);
}

export function preferredOwner(key: string, instances: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1n;
  for (const inst of instances) {
    const score = rendezvousScore(inst, key);
    if (score > bestScore || (score === bestScore && best !== undefined && inst < best)) {
      best = inst;
      bestScore = score;
    }
  }
  return best;
}
