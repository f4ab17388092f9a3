/**
 * The digest ("complex", Flash Player 9) handshake. Not in the published Adobe RTMP spec 1.0
 * (§5.2 describes only the plain form); this follows what Flash Player, FMS, librtmp, FFmpeg
 * (libavformat/rtmpdigest.c, rtmpproto.c) and OBS implement.
 *
 * C1/S1 (1536 bytes): time(4) | version(4) | 1528 bytes in which a 32-byte HMAC-SHA256 digest
 * sits at an offset derived from four bytes, in one of two layouts:
 *   schema 0: offset bytes at  8..11, digest at (sum % 728) + 12
 *   schema 1: offset bytes at 772..775, digest at (sum % 728) + 776
 * The digest is HMAC-SHA256 over the 1504 other bytes, keyed by the first 30 bytes of the
 * Flash Player key (client) or the first 36 bytes of the Media Server key (server).
 * S2: 1504 random bytes | HMAC-SHA256(key = HMAC-SHA256(full server key, client digest), S2[0..1504]).
 */
import { createHmac } from 'node:crypto';

export const HANDSHAKE_SIZE = 1536;
export const DIGEST_SIZE = 32;
export type DigestSchema = 0 | 1;

const KEY_TAIL = [
  0xf0, 0xee, 0xc2, 0x4a, 0x80, 0x68, 0xbe, 0xe8, 0x2e, 0x00, 0xd0, 0xd1, 0x02, 0x9e, 0x7e, 0x57,
  0x6e, 0xec, 0x5d, 0x2d, 0x29, 0x80, 0x6f, 0xab, 0x93, 0xb8, 0xe6, 0x36, 0xcf, 0xeb, 0x31, 0xae,
];
const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));

/** "Genuine Adobe Flash Player 001" + 32 bytes (62); the client digest uses the first 30. */
export const GENUINE_FP_KEY = Uint8Array.from([...ascii('Genuine Adobe Flash Player 001'), ...KEY_TAIL]);
export const GENUINE_FP_KEY_PUBLIC_LENGTH = 30;
/** "Genuine Adobe Flash Media Server 001" + 32 bytes (68); the S1 digest uses the first 36. */
export const GENUINE_FMS_KEY = Uint8Array.from([...ascii('Genuine Adobe Flash Media Server 001'), ...KEY_TAIL]);
export const GENUINE_FMS_KEY_PUBLIC_LENGTH = 36;

export function hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** Offset of the digest inside a 1536-byte C1/S1 for the given schema. */
export function digestOffset(packet: Uint8Array, schema: DigestSchema): number {
  const base = schema === 0 ? 8 : 772;
  const sum = packet[base] + packet[base + 1] + packet[base + 2] + packet[base + 3];
  return (sum % 728) + base + 4;
}

/** HMAC of the packet without the 32 digest bytes at `offset`. */
export function computeDigest(packet: Uint8Array, offset: number, key: Uint8Array): Uint8Array {
  return hmacSha256(key, packet.subarray(0, offset), packet.subarray(offset + DIGEST_SIZE, HANDSHAKE_SIZE));
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let diff = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

export interface FoundDigest {
  schema: DigestSchema;
  offset: number;
  digest: Uint8Array;
}

/** Finds a valid digest signed with `key` at either schema; undefined when there is none. */
export function findDigest(packet: Uint8Array, key: Uint8Array): FoundDigest | undefined {
  for (const schema of [0, 1] as const) {
    const offset = digestOffset(packet, schema);
    const digest = packet.subarray(offset, offset + DIGEST_SIZE);
    if (equalBytes(computeDigest(packet, offset, key), digest)) return { schema, offset, digest };
  }
  return undefined;
}

/** Writes the digest into `packet` (1536 bytes, mutated) at the schema's offset; returns the offset. */
export function imprintDigest(packet: Uint8Array, schema: DigestSchema, key: Uint8Array): number {
  const offset = digestOffset(packet, schema);
  packet.set(computeDigest(packet, offset, key), offset);
  return offset;
}

/** The last 32 bytes of S2 (or C2): signature keyed by HMAC(fullKey, peer digest). */
export function responseSignature(response: Uint8Array, peerDigest: Uint8Array, fullKey: Uint8Array): Uint8Array {
  const key = hmacSha256(fullKey, peerDigest);
  return hmacSha256(key, response.subarray(0, HANDSHAKE_SIZE - DIGEST_SIZE));
}
