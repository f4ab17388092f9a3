import { createHmac, timingSafeEqual } from 'node:crypto';
import { AuthChallenge, formatAuthenticate } from '../headers/authenticate';
import { AuthorizationHeader } from '../headers/authorization';
import { computeDigestResponse } from '../headers/digest';

/**
 * Server side of RTSP authentication (RFC 2326 §12.5/§12.44 → RFC 7617 Basic, RFC 7616 Digest),
 * the counterpart of ClientAuthenticator; both compute responses with `computeDigestResponse`.
 *
 * Nonces are stateless and bound to what the caller names (the connection): RFC 7616 §5.4
 * suggests `time-stamp H(time-stamp ":" ETag ":" secret)`; here
 *
 *   nonce = hex(issued-at ms, 12 digits) "." base64url(HMAC-SHA256(secret, issued-at ":" binding))[0..22]
 *
 * so a nonce answered on another connection, or older than its lifetime, does not verify.
 * An expired nonce with a correct response is answered with `stale=true` (§3.3), so a client
 * retries with the fresh nonce instead of asking its user again.
 */
export type NonceCheck = 'valid' | 'stale' | 'invalid';

const MAC_CHARS = 22;

export class DigestNonces {
  constructor(private readonly secret: Uint8Array, private readonly lifetimeMs: number) {}

  issue(binding: string, nowMs: number): string {
    const stamp = Math.floor(nowMs).toString(16).padStart(12, '0');
    return `${stamp}.${this.mac(stamp, binding)}`;
  }

  check(nonce: string, binding: string, nowMs: number): NonceCheck {
    const m = /^([0-9a-f]{12})\.([A-Za-z0-9_-]{22})$/.exec(nonce);
    if (!m) return 'invalid';
    const expected = Buffer.from(this.mac(m[1], binding));
    const given = Buffer.from(m[2]);
    if (!timingSafeEqual(expected, given)) return 'invalid';
    const issuedAt = parseInt(m[1], 16);
    if (issuedAt > nowMs + 1000) return 'invalid';
    return nowMs - issuedAt > this.lifetimeMs ? 'stale' : 'valid';
  }

  private mac(stamp: string, binding: string): string {
    return createHmac('sha256', this.secret).update(`${stamp}:${binding}`).digest('base64url').slice(0, MAC_CHARS);
  }
}

export interface ServerChallengeOptions {
  realm: string;
  nonce: string;
  digest: boolean;
  basic: boolean;
  /** The nonce replaced one that expired (RFC 7616 §3.3). */
  stale?: boolean;
}

/**
 * WWW-Authenticate values, strongest first (RFC 7616 §3.7): Digest SHA-256, Digest MD5, Basic.
 * Clients that know only MD5 (ffmpeg, older GStreamer) skip the SHA-256 challenge.
 */
export function serverChallenges(options: ServerChallengeOptions): string[] {
  const out: string[] = [];
  if (options.digest) {
    for (const algorithm of ['SHA-256', 'MD5'] as const) {
      const c: AuthChallenge = { scheme: 'Digest', realm: options.realm, nonce: options.nonce, algorithm, qop: ['auth'] };
      if (options.stale) c.stale = true;
      out.push(formatAuthenticate(c));
    }
  }
  if (options.basic) out.push(formatAuthenticate({ scheme: 'Basic', realm: options.realm }));
  return out;
}

export type DigestAuthorization = Extract<AuthorizationHeader, { scheme: 'Digest' }>;

/**
 * Whether a Digest response was computed with `password` (RFC 7616 §3.4.1). The uri is the
 * one the client hashed; the caller checks it names the requested resource.
 */
export function digestResponseMatches(auth: DigestAuthorization, method: string, password: string): boolean {
  if (auth.qop !== undefined && auth.qop !== 'auth') return false;
  let expected: string;
  try {
    expected = computeDigestResponse({
      algorithm: auth.algorithm,
      username: auth.username,
      password,
      realm: auth.realm,
      nonce: auth.nonce,
      method,
      uri: auth.uri,
      qop: auth.qop === 'auth' ? 'auth' : undefined,
      nc: auth.nc,
      cnonce: auth.cnonce,
    });
  } catch {
    // qop without nc/cnonce, or -sess without cnonce: not a response we can check.
    return false;
  }
  const given = Buffer.from(auth.response.toLowerCase());
  return given.length === expected.length && timingSafeEqual(given, Buffer.from(expected));
}
