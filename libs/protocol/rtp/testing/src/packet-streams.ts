/**
 * Test support (not exported from the library): fast-check arbitraries that damage a table of
 * real packets the way networks and broken senders do, for the decoder property tests.
 */
import fc from 'fast-check';

export type Damage =
  | { op: 'drop'; index: number }
  | { op: 'duplicate'; index: number }
  | { op: 'swap'; index: number }
  | { op: 'truncate'; index: number; length: number }
  | { op: 'flip'; index: number; byte: number; mask: number };

export function damageArbitrary(maxOps = 12): fc.Arbitrary<Damage[]> {
  const index = fc.nat({ max: 10_000 });
  return fc.array(
    fc.oneof(
      fc.record({ op: fc.constant('drop' as const), index }),
      fc.record({ op: fc.constant('duplicate' as const), index }),
      fc.record({ op: fc.constant('swap' as const), index }),
      fc.record({ op: fc.constant('truncate' as const), index, length: fc.nat({ max: 64 }) }),
      fc.record({ op: fc.constant('flip' as const), index, byte: fc.nat({ max: 40 }), mask: fc.integer({ min: 1, max: 255 }) }),
    ),
    { maxLength: maxOps },
  );
}

/** Applies the damage to copies; the input packets are never touched. */
export function applyDamage(packets: readonly Uint8Array[], damage: readonly Damage[]): Uint8Array[] {
  const out = packets.map((p) => p.slice());
  for (const d of damage) {
    if (out.length === 0) break;
    const i = d.index % out.length;
    switch (d.op) {
      case 'drop':
        out.splice(i, 1);
        break;
      case 'duplicate':
        out.splice(i, 0, out[i].slice());
        break;
      case 'swap':
        if (i + 1 < out.length) [out[i], out[i + 1]] = [out[i + 1], out[i]];
        break;
      case 'truncate':
        out[i] = out[i].slice(0, Math.min(d.length, out[i].byteLength));
        break;
      case 'flip':
        if (d.byte < out[i].byteLength) out[i][d.byte] ^= d.mask;
        break;
    }
  }
  return out;
}

export const hexToBytes = (hex: string): Uint8Array => {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
};

export interface PacketFixture {
  command: string;
  packets: string[];
}
