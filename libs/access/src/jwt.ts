import { KeyObject, createPublicKey, verify as verifySignature } from 'node:crypto';
import { z } from 'zod';
import { Permission, PermissionError, compilePermission } from './permissions';
import { PermissionEntry } from './users';

/**
 * JWT (RFC 7519) in JWS compact form (RFC 7515 §7.1), verified against a JWKS (RFC 7517) the
 * way MediaMTX's `authJWTJWKS` does: the token's `kid` picks the key, the signature must verify
 * with the algorithm the key allows, `exp`/`nbf` are enforced, and the claim named by
 * `claimKey` (default `mediamtx_permissions`) lists the permissions:
 *
 *   { "sub": "alice", "exp": 1767225600, "mediamtx_permissions": [{ "action": "read", "path": "cam1" }] }
 *
 * Signature algorithms (RFC 7518 §3): RS256/384/512, PS256/384/512, ES256/384/512 (raw r||s),
 * EdDSA. `none` and HMAC are refused: a JWKS carries public keys only.
 */
export const MAX_JWT_LENGTH = 16 * 1024;
const ALGORITHMS: Record<string, { hash: string | null; kty: string; pss?: boolean; ec?: boolean }> = {
  RS256: { hash: 'sha256', kty: 'RSA' }, RS384: { hash: 'sha384', kty: 'RSA' }, RS512: { hash: 'sha512', kty: 'RSA' },
  PS256: { hash: 'sha256', kty: 'RSA', pss: true }, PS384: { hash: 'sha384', kty: 'RSA', pss: true }, PS512: { hash: 'sha512', kty: 'RSA', pss: true },
  ES256: { hash: 'sha256', kty: 'EC', ec: true }, ES384: { hash: 'sha384', kty: 'EC', ec: true }, ES512: { hash: 'sha512', kty: 'EC', ec: true },
  EdDSA: { hash: null, kty: 'OKP' },
};

export class JwtError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JwtError';
  }
}

const JwtHeader = z.object({ alg: z.string(), kid: z.string().optional(), typ: z.string().optional() });

export interface JsonWebKeyEntry {
  kid?: string;
  kty: string;
  alg?: string;
  use?: string;
  [k: string]: unknown;
}

export interface VerificationKey {
  kid: string | undefined;
  kty: string;
  alg: string | undefined;
  key: KeyObject;
}

/** Imports the signing keys of a JWKS document; keys that are not public signature keys are skipped. */
export function importJwks(document: unknown): VerificationKey[] {
  const keys = (document as { keys?: unknown })?.keys;
  if (!Array.isArray(keys)) throw new JwtError('JWKS document has no "keys" array');
  const out: VerificationKey[] = [];
  for (const k of keys.slice(0, 100) as JsonWebKeyEntry[]) {
    if (!k || typeof k !== 'object' || typeof k.kty !== 'string' || (k.use !== undefined && k.use !== 'sig')) continue;
    try {
      out.push({ kid: typeof k.kid === 'string' ? k.kid : undefined, kty: k.kty, alg: typeof k.alg === 'string' ? k.alg : undefined, key: createPublicKey({ key: k as never, format: 'jwk' }) });
    } catch {
      // A key type Node cannot import (or a private/symmetric key) is not usable for verification.
      continue;
    }
  }
  return out;
}

export interface DecodedJwt {
  header: z.infer<typeof JwtHeader>;
  payload: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

export function decodeJwt(token: string): DecodedJwt {
  if (token.length > MAX_JWT_LENGTH) throw new JwtError('token too long');
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) throw new JwtError('not a JWS compact token');
  const json = (part: string): unknown => {
    try {
      return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    } catch {
      throw new JwtError('token header or payload is not JSON');
    }
  };
  const header = JwtHeader.safeParse(json(parts[0]));
  if (!header.success) throw new JwtError('token header has no alg');
  const payload = json(parts[1]);
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) throw new JwtError('token payload is not an object');
  return { header: header.data, payload: payload as Record<string, unknown>, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2], 'base64url') };
}

/** The key a token names, or undefined when the set has none (the caller may refetch the JWKS). */
export function selectKey(jwt: DecodedJwt, keys: readonly VerificationKey[]): VerificationKey | undefined {
  const alg = ALGORITHMS[jwt.header.alg];
  if (!alg) return undefined;
  const candidates = keys.filter((k) => k.kty === alg.kty && (k.alg === undefined || k.alg === jwt.header.alg));
  if (jwt.header.kid !== undefined) return candidates.find((k) => k.kid === jwt.header.kid);
  return candidates.length === 1 ? candidates[0] : undefined;
}

export interface VerifiedJwt {
  subject: string | undefined;
  permissions: Permission[];
}

/** Checks signature, time claims (with `leewaySec` of clock skew) and the permissions claim. */
export function verifyJwt(jwt: DecodedJwt, key: VerificationKey, options: { nowSec: number; claimKey: string; leewaySec?: number }): VerifiedJwt {
  const alg = ALGORITHMS[jwt.header.alg];
  if (!alg) throw new JwtError(`algorithm ${jwt.header.alg.slice(0, 16)} is not accepted`);
  const ok = verifySignature(alg.hash, Buffer.from(jwt.signingInput), {
    key: key.key,
    ...(alg.ec ? { dsaEncoding: 'ieee-p1363' as const } : {}),
    ...(alg.pss ? { padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: -1 /* digest length */ } : {}),
  }, jwt.signature);
  if (!ok) throw new JwtError('signature does not verify');
  const leeway = options.leewaySec ?? 30;
  const { exp, nbf } = jwt.payload;
  if (exp !== undefined && (typeof exp !== 'number' || options.nowSec > exp + leeway)) throw new JwtError('token expired');
  if (nbf !== undefined && (typeof nbf !== 'number' || options.nowSec + leeway < nbf)) throw new JwtError('token not valid yet');
  const claim = z.array(PermissionEntry).max(1024).safeParse(jwt.payload[options.claimKey]);
  if (!claim.success) throw new JwtError(`token has no valid "${options.claimKey}" claim`);
  let permissions: Permission[];
  try {
    permissions = claim.data.map(compilePermission);
  } catch (err) {
    if (err instanceof PermissionError) throw new JwtError(err.message);
    throw err;
  }
  const sub = jwt.payload.sub;
  return { subject: typeof sub === 'string' ? sub.slice(0, 256) : undefined, permissions };
}
