import type { IncomingHttpHeaders } from 'node:http';
import { SESSION_COOKIE } from './console-sessions';

/**
 * Credentials of an HTTP request (control API, metrics, HLS, WebRTC, playback):
 * `Authorization: Basic` (RFC 7617), `Authorization: Bearer` (RFC 6750 §2.1), and the
 * `?token=` / `?jwt=` query parameters players use when they cannot set headers, and the web
 * console's session cookie (console-sessions.ts).
 */
export interface HttpCredentials {
  user?: string;
  pass?: string;
  token?: string;
  /** The console session cookie's value. */
  session?: string;
}

/** The challenge HTTP endpoints answer 401 with. */
export const HTTP_BASIC_CHALLENGE = 'Basic realm="streamgate", charset="UTF-8"';

export function httpCredentials(headers: IncomingHttpHeaders, query?: URLSearchParams): HttpCredentials {
  const out: HttpCredentials = {};
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^\s*(Basic|Bearer)\s+(\S+)\s*$/i.exec(auth);
    if (m && m[1].toLowerCase() === 'basic') {
      const decoded = Buffer.from(m[2], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon >= 0) {
        out.user = decoded.slice(0, colon);
        out.pass = decoded.slice(colon + 1);
      }
    } else if (m) out.token = m[2];
  }
  const queryToken = query?.get('token') ?? query?.get('jwt');
  if (out.token === undefined && queryToken) out.token = queryToken;
  const session = cookieValue(headers.cookie, SESSION_COOKIE);
  if (session !== undefined) out.session = session;
  return out;
}

/** One cookie of a `Cookie` header (RFC 6265 §5.4: `name=value` pairs separated by `; `). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return undefined;
}

/** The peer address as the access rules see it (IPv4-mapped IPv6 folded to IPv4). */
export function peerAddress(remoteAddress: string | undefined): string {
  return (remoteAddress ?? '').replace(/^::ffff:/, '');
}
