import { randomBytes } from 'node:crypto';
import type { AccessControl } from '@streamgate/platform';
import {
  DigestNonces, RtspParseError, RtspRequest, digestResponseMatches, parseAuthorization, parseResourcePath, serverChallenges,
} from '@streamgate/protocol-rtsp';
import { AccessDeniedError } from './rtsp-errors';

export const RTSP_REALM = 'streamgate';
/** A Digest nonce is good for this long on the connection it was issued on (RFC 7616 §3.3 stale). */
export const NONCE_LIFETIME_MS = 120_000;

/** The connection a request came on, as authentication sees it. */
export interface AuthenticatedPeer {
  readonly id: number;
  readonly remoteAddress: string;
}

/**
 * RTSP reader authentication (DESCRIBE and SETUP): anonymous access when the rules allow it,
 * else 401 with Digest SHA-256, Digest MD5 and Basic challenges (RTSP_AUTH_METHODS), nonces
 * bound to the connection and expiring; 403 for a known user without `read` on the path.
 * The decision itself is AccessControl's, so every port follows the same rules.
 */
export class RtspAuthenticator {
  private readonly nonces = new DigestNonces(randomBytes(32), NONCE_LIFETIME_MS);
  private readonly digest: boolean;
  private readonly basic: boolean;

  constructor(private readonly access: AccessControl, methods: string) {
    const list = methods.split(',').map((m) => m.trim());
    this.digest = list.includes('digest');
    this.basic = list.includes('basic');
  }

  /** Resolves when `peer` may read `stream`; throws AccessDeniedError otherwise. */
  async authorizeRead(peer: AuthenticatedPeer, req: RtspRequest, stream: string): Promise<void> {
    // With no users and no external method everything is open: no work per request.
    if (!this.access.restricted) return;
    const base = { action: 'read' as const, path: stream, protocol: 'rtsp' as const, ip: peer.remoteAddress, id: String(peer.id) };
    const value = req.headers.get('authorization');
    if (value === undefined) {
      const decision = await this.access.authorize(base);
      if (decision.allowed) return;
      throw new AccessDeniedError(decision.status, `access to ${stream}: ${decision.reason}`, decision.status === 401 ? this.challenges(peer) : []);
    }
    let auth;
    try {
      auth = parseAuthorization(value);
    } catch (err) {
      if (!(err instanceof RtspParseError)) throw err;
      this.access.recordFailure(base, 'wrong-credentials');
      throw new AccessDeniedError(401, 'unreadable Authorization header', this.challenges(peer));
    }
    let decision;
    if (auth.scheme === 'Basic') {
      if (!this.basic && this.digestOffered) return this.refuse(peer, base, auth.username, 'Basic is not offered');
      decision = await this.access.authorize({ ...base, user: auth.username, pass: auth.password });
    } else {
      if (!this.digestOffered) return this.refuse(peer, base, auth.username, 'Digest is not offered');
      const nonce = this.nonces.check(auth.nonce, this.binding(peer), Date.now());
      if (nonce === 'stale') throw new AccessDeniedError(401, 'nonce expired', this.challenges(peer, true));
      if (nonce === 'invalid' || auth.realm !== RTSP_REALM || !sameStream(auth.uri, stream)) {
        return this.refuse(peer, base, auth.username, 'nonce, realm or uri not ours');
      }
      decision = await this.access.authorize({ ...base, digest: { user: auth.username, verify: (password) => digestResponseMatches(auth, req.method, password) } });
    }
    if (decision.allowed) return;
    throw new AccessDeniedError(decision.status, `access to ${stream}: ${decision.reason}`, decision.status === 401 ? this.challenges(peer) : []);
  }

  private get digestOffered(): boolean {
    return this.digest && this.access.digestAvailable;
  }

  private refuse(peer: AuthenticatedPeer, base: Parameters<AccessControl['recordFailure']>[0], user: string, why: string): never {
    this.access.recordFailure(base, 'wrong-credentials', user);
    throw new AccessDeniedError(401, why, this.challenges(peer));
  }

  private challenges(peer: AuthenticatedPeer, stale = false): string[] {
    const digest = this.digestOffered;
    return serverChallenges({
      realm: RTSP_REALM,
      nonce: digest ? this.nonces.issue(this.binding(peer), Date.now()) : '',
      digest,
      // Basic is always offered when Digest cannot be (hashed passwords, external methods).
      basic: this.basic || !digest,
      stale,
    });
  }

  private binding(peer: AuthenticatedPeer): string {
    return `${peer.id}/${peer.remoteAddress}`;
  }
}

/** The Digest uri must name the requested stream (RFC 7616 §3.4.6), not another one. */
function sameStream(uri: string, stream: string): boolean {
  try {
    // Some clients send only the path (RFC 7616 §3.4: the request-target as sent).
    return parseResourcePath(uri.startsWith('/') ? `rtsp://host${uri}` : uri).streamName === stream;
  } catch {
    // A uri we cannot read does not name this stream.
    return false;
  }
}
