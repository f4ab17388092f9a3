import { createHash } from 'node:crypto';
import { RtspEncodeError } from '../base/errors';
import { AuthChallenge, DigestAlgorithm } from './authenticate';
import { AuthorizationHeader } from './authorization';

/**
 * Digest response computation, RFC 7616 §3.4.1 (RFC 2617 §3.2.2.1 for MD5):
 *
 *   HA1 = H(username:realm:password)            ; -sess: H(H(username:realm:password):nonce:cnonce)
 *   HA2 = H(method:uri)                          ; qop=auth only (auth-int is not offered by cameras)
 *   response = H(HA1:nonce:nc:cnonce:qop:HA2)    ; with qop
 *            = H(HA1:nonce:HA2)                  ; without qop (RFC 2069 compatibility)
 */
export interface DigestInput {
  algorithm?: DigestAlgorithm;
  username: string;
  password: string;
  realm: string;
  nonce: string;
  method: string;
  uri: string;
  qop?: 'auth';
  nc?: number;
  cnonce?: string;
}

function hash(algorithm: DigestAlgorithm, text: string): string {
  return createHash(algorithm.startsWith('SHA-256') ? 'sha256' : 'md5').update(text, 'utf8').digest('hex');
}

export function computeDigestResponse(input: DigestInput): string {
  const algorithm = input.algorithm ?? 'MD5';
  let ha1 = hash(algorithm, `${input.username}:${input.realm}:${input.password}`);
  if (algorithm.endsWith('-sess')) {
    if (input.cnonce === undefined) throw new RtspEncodeError(`${algorithm} needs a cnonce`);
    ha1 = hash(algorithm, `${ha1}:${input.nonce}:${input.cnonce}`);
  }
  const ha2 = hash(algorithm, `${input.method}:${input.uri}`);
  if (input.qop === undefined) return hash(algorithm, `${ha1}:${input.nonce}:${ha2}`);
  if (input.nc === undefined || input.cnonce === undefined) throw new RtspEncodeError('qop=auth needs nc and cnonce');
  const nc = (input.nc >>> 0).toString(16).padStart(8, '0');
  return hash(algorithm, `${ha1}:${input.nonce}:${nc}:${input.cnonce}:${input.qop}:${ha2}`);
}

export interface Credentials {
  username: string;
  password: string;
}

/**
 * The Authorization header a client sends in answer to `challenge` (the RTSP pull client uses
 * this). `cnonce` is injected so callers control randomness; `nc` counts uses of the nonce.
 */
export function buildAuthorization(
  challenge: AuthChallenge,
  credentials: Credentials,
  method: string,
  uri: string,
  options: { cnonce?: string; nc?: number } = {},
): AuthorizationHeader {
  if (challenge.scheme === 'Basic') return { scheme: 'Basic', ...credentials };
  const useQop = challenge.qop?.includes('auth') === true;
  const cnonce = useQop || challenge.algorithm?.endsWith('-sess') ? options.cnonce : undefined;
  if ((useQop || challenge.algorithm?.endsWith('-sess')) && cnonce === undefined) {
    throw new RtspEncodeError('this challenge needs a cnonce');
  }
  const nc = useQop ? (options.nc ?? 1) : undefined;
  const response = computeDigestResponse({
    algorithm: challenge.algorithm,
    username: credentials.username,
    password: credentials.password,
    realm: challenge.realm,
    nonce: challenge.nonce,
    method,
    uri,
    qop: useQop ? 'auth' : undefined,
    nc,
    cnonce,
  });
  const out: AuthorizationHeader = {
    scheme: 'Digest', username: credentials.username, realm: challenge.realm, nonce: challenge.nonce, uri, response,
  };
  if (challenge.algorithm !== undefined) out.algorithm = challenge.algorithm;
  if (challenge.opaque !== undefined) out.opaque = challenge.opaque;
  if (useQop) {
    out.qop = 'auth';
    out.nc = nc;
    out.cnonce = cnonce;
  }
  return out;
}
