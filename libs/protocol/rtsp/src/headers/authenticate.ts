import { RtspEncodeError, RtspParseError } from '../base/errors';
import { checkLength, parseAuthParams, quote } from './header-params';

/**
 * WWW-Authenticate (RFC 2326 §12.44 → RFC 2617 §3.2.1, RFC 7616 §3.3, RFC 7617 §2).
 * Cameras often send two headers, one Basic and one Digest; each value is one challenge.
 *
 *   WWW-Authenticate: Digest realm="LIVE555 Streaming Media", nonce="a2e5e8f1d0b3c..."
 *   WWW-Authenticate: Basic realm="IP Camera(C6231)"
 */
export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';

export type AuthChallenge =
  | { scheme: 'Basic'; realm: string }
  | {
      scheme: 'Digest';
      realm: string;
      nonce: string;
      algorithm?: DigestAlgorithm;
      /** Offered qop values, e.g. ['auth', 'auth-int']. */
      qop?: string[];
      opaque?: string;
      stale?: boolean;
      domain?: string;
    };

export function parseDigestAlgorithm(value: string): DigestAlgorithm {
  switch (value.toUpperCase()) {
    case 'MD5':
      return 'MD5';
    case 'MD5-SESS':
      return 'MD5-sess';
    case 'SHA-256':
      return 'SHA-256';
    case 'SHA-256-SESS':
      return 'SHA-256-sess';
    default:
      throw new RtspParseError(`unsupported digest algorithm ${JSON.stringify(value.slice(0, 20))}`);
  }
}

export function splitScheme(header: string, value: string): { scheme: string; rest: string } {
  checkLength(header, value);
  const m = /^\s*([A-Za-z][A-Za-z0-9-]*)(?:\s+([\s\S]*))?$/.exec(value);
  if (!m) throw new RtspParseError(`malformed ${header} header`);
  return { scheme: m[1].toLowerCase(), rest: (m[2] ?? '').trim() };
}

export function parseAuthenticate(value: string): AuthChallenge {
  const { scheme, rest } = splitScheme('WWW-Authenticate', value);
  const params = parseAuthParams(rest);
  const realm = params.get('realm') ?? '';
  if (scheme === 'basic') return { scheme: 'Basic', realm };
  if (scheme !== 'digest') throw new RtspParseError(`unsupported auth scheme ${JSON.stringify(scheme.slice(0, 20))}`);
  const nonce = params.get('nonce');
  if (nonce === undefined) throw new RtspParseError('Digest challenge without nonce');
  const out: AuthChallenge = { scheme: 'Digest', realm, nonce };
  const algorithm = params.get('algorithm');
  if (algorithm !== undefined) out.algorithm = parseDigestAlgorithm(algorithm);
  const qop = params.get('qop');
  if (qop !== undefined) out.qop = qop.split(',').map((q) => q.trim()).filter((q) => q.length > 0);
  const opaque = params.get('opaque');
  if (opaque !== undefined) out.opaque = opaque;
  const stale = params.get('stale');
  if (stale !== undefined) out.stale = stale.toLowerCase() === 'true';
  const domain = params.get('domain');
  if (domain !== undefined) out.domain = domain;
  return out;
}

function checkQuotable(name: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new RtspEncodeError(`${name} contains CR or LF`);
  return quote(value);
}

export function formatAuthenticate(challenge: AuthChallenge): string {
  if (challenge.scheme === 'Basic') return `Basic realm=${checkQuotable('realm', challenge.realm)}`;
  const parts = [`realm=${checkQuotable('realm', challenge.realm)}`, `nonce=${checkQuotable('nonce', challenge.nonce)}`];
  if (challenge.domain !== undefined) parts.push(`domain=${checkQuotable('domain', challenge.domain)}`);
  if (challenge.opaque !== undefined) parts.push(`opaque=${checkQuotable('opaque', challenge.opaque)}`);
  if (challenge.stale !== undefined) parts.push(`stale=${challenge.stale ? 'TRUE' : 'FALSE'}`);
  if (challenge.algorithm !== undefined) parts.push(`algorithm=${challenge.algorithm}`);
  if (challenge.qop !== undefined) parts.push(`qop=${checkQuotable('qop', challenge.qop.join(','))}`);
  return `Digest ${parts.join(', ')}`;
}
