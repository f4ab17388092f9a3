import { RtspEncodeError, RtspParseError } from '../base/errors';
import { DigestAlgorithm, parseDigestAlgorithm, splitScheme } from './authenticate';
import { parseAuthParams, quote } from './header-params';

/**
 * Authorization (RFC 2326 §12.5 → RFC 7617 Basic, RFC 2617 §3.2.2 / RFC 7616 §3.4 Digest).
 *
 *   Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==
 *   Authorization: Digest username="admin", realm="LIVE555 Streaming Media", nonce="...",
 *                  uri="rtsp://10.0.0.2:554/stream1", response="..."
 */
export type AuthorizationHeader =
  | { scheme: 'Basic'; username: string; password: string }
  | {
      scheme: 'Digest';
      username: string;
      realm: string;
      nonce: string;
      uri: string;
      response: string;
      algorithm?: DigestAlgorithm;
      qop?: string;
      /** Nonce count: 8 hex digits on the wire. */
      nc?: number;
      cnonce?: string;
      opaque?: string;
    };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function parseAuthorization(value: string): AuthorizationHeader {
  const { scheme, rest } = splitScheme('Authorization', value);
  if (scheme === 'basic') {
    if (!BASE64.test(rest) || rest.length % 4 === 1) throw new RtspParseError('malformed Basic credentials');
    const decoded = Buffer.from(rest, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new RtspParseError('Basic credentials without ":"');
    return { scheme: 'Basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (scheme !== 'digest') throw new RtspParseError(`unsupported auth scheme ${JSON.stringify(scheme.slice(0, 20))}`);
  const p = parseAuthParams(rest);
  const required = (name: string): string => {
    const v = p.get(name);
    if (v === undefined) throw new RtspParseError(`Digest credentials without ${name}`);
    return v;
  };
  const out: AuthorizationHeader = {
    scheme: 'Digest',
    username: required('username'),
    realm: required('realm'),
    nonce: required('nonce'),
    uri: required('uri'),
    response: required('response'),
  };
  const algorithm = p.get('algorithm');
  if (algorithm !== undefined) out.algorithm = parseDigestAlgorithm(algorithm);
  const qop = p.get('qop');
  if (qop !== undefined) out.qop = qop;
  const nc = p.get('nc');
  if (nc !== undefined) {
    if (!/^[0-9a-fA-F]{1,8}$/.test(nc)) throw new RtspParseError('malformed nonce count');
    out.nc = parseInt(nc, 16);
  }
  const cnonce = p.get('cnonce');
  if (cnonce !== undefined) out.cnonce = cnonce;
  const opaque = p.get('opaque');
  if (opaque !== undefined) out.opaque = opaque;
  return out;
}

function q(name: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new RtspEncodeError(`${name} contains CR or LF`);
  return `${name}=${quote(value)}`;
}

export function formatAuthorization(auth: AuthorizationHeader): string {
  if (auth.scheme === 'Basic') {
    if (auth.username.includes(':')) throw new RtspEncodeError('Basic username cannot contain ":" (RFC 7617 §2)');
    return `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`;
  }
  const parts = [q('username', auth.username), q('realm', auth.realm), q('nonce', auth.nonce), q('uri', auth.uri), q('response', auth.response)];
  if (auth.algorithm !== undefined) parts.push(`algorithm=${auth.algorithm}`);
  if (auth.opaque !== undefined) parts.push(q('opaque', auth.opaque));
  // RFC 7616 §3.4: qop and nc are unquoted tokens.
  if (auth.qop !== undefined) {
    if (!/^[A-Za-z-]+$/.test(auth.qop)) throw new RtspEncodeError('invalid qop');
    parts.push(`qop=${auth.qop}`);
  }
  if (auth.nc !== undefined) parts.push(`nc=${(auth.nc >>> 0).toString(16).padStart(8, '0')}`);
  if (auth.cnonce !== undefined) parts.push(q('cnonce', auth.cnonce));
  return `Digest ${parts.join(', ')}`;
}
