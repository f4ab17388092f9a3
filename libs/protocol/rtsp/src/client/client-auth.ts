import { RtspParseError } from '../base/errors';
import { AuthChallenge, parseAuthenticate } from '../headers/authenticate';
import { formatAuthorization } from '../headers/authorization';
import { Credentials, buildAuthorization } from '../headers/digest';

/**
 * Client side of RTSP authentication (RFC 2326 §12.5/§12.44 → RFC 7617 Basic, RFC 7616 Digest).
 *
 * Once challenged, every later request carries an Authorization header (cameras check each
 * request). Digest with qop=auth reuses the nonce with an incrementing nonce count (RFC 7616
 * §3.4: nc counts the requests sent with that nonce); `stale=true` means the nonce expired but
 * the credentials were right (RFC 7616 §3.3), so we retry with the new nonce without counting
 * it as a failure. A second plain 401 after answering means the credentials are wrong.
 */
export type AuthDecision = { retry: true } | { retry: false; reason: string };

export const UNAUTHORIZED_REASON = '401 Unauthorized: check username/password';

/** Higher is preferred when a camera offers several challenges. */
function strength(c: AuthChallenge): number {
  if (c.scheme === 'Basic') return 1;
  return c.algorithm?.startsWith('SHA-256') ? 3 : 2;
}

export class ClientAuthenticator {
  private challenge: AuthChallenge | undefined;
  private nonceCount = 0;
  private rejections = 0;

  /**
   * @param credentials undefined when the camera is configured without any
   * @param newCnonce client nonce source (injected so tests are deterministic)
   */
  constructor(private readonly credentials: Credentials | undefined, private readonly newCnonce: () => string) {}

  /** The scheme in use, for status and logs ('none' before the first challenge). */
  get scheme(): 'none' | 'Basic' | 'Digest' {
    return this.challenge?.scheme ?? 'none';
  }

  /** Authorization header value for `method` on `uri`, or undefined when not (yet) challenged. */
  authorize(method: string, uri: string): string | undefined {
    const challenge = this.challenge;
    if (!challenge || !this.credentials) return undefined;
    if (challenge.scheme === 'Basic') return formatAuthorization(buildAuthorization(challenge, this.credentials, method, uri));
    this.nonceCount = (this.nonceCount + 1) >>> 0;
    return formatAuthorization(buildAuthorization(challenge, this.credentials, method, uri, { cnonce: this.newCnonce(), nc: this.nonceCount }));
  }

  /** A request was answered with something other than 401. */
  accepted(): void {
    this.rejections = 0;
  }

  /**
   * Decides what to do about a 401. `values` are its WWW-Authenticate headers; `answered` says
   * whether the rejected request carried our Authorization.
   */
  unauthorized(values: readonly string[], answered: boolean): AuthDecision {
    const offered: AuthChallenge[] = [];
    for (const v of values) {
      try {
        offered.push(parseAuthenticate(v));
      } catch (err) {
        if (!(err instanceof RtspParseError)) throw err;
        // Unknown schemes (Bearer, NTLM...) are skipped; another header may offer one we know.
      }
    }
    if (offered.length === 0) {
      return { retry: false, reason: '401 Unauthorized: the camera offers no supported authentication scheme (Basic, Digest)' };
    }
    if (!this.credentials) return { retry: false, reason: '401 Unauthorized: the camera needs a username/password' };
    const best = offered.reduce((a, b) => (strength(b) > strength(a) ? b : a));
    if (answered && !(best.scheme === 'Digest' && best.stale === true)) {
      this.rejections++;
      // One more try when the camera rotated the nonce without saying stale (some do); after
      // that the credentials are wrong.
      const rotated = best.scheme === 'Digest' && this.challenge?.scheme === 'Digest' && best.nonce !== this.challenge.nonce;
      if (!rotated || this.rejections > 1) return { retry: false, reason: UNAUTHORIZED_REASON };
    }
    if (best.scheme === 'Digest' && (this.challenge?.scheme !== 'Digest' || this.challenge.nonce !== best.nonce)) this.nonceCount = 0;
    this.challenge = best;
    return { retry: true };
  }
}
