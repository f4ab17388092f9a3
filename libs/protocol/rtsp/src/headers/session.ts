import { RtspEncodeError, RtspParseError } from '../base/errors';
import { checkLength, parseDecimal } from './header-params';

/**
 * RFC 2326 §12.37 Session: `session-id [;timeout=delta-seconds]`. The id is opaque: at least
 * 8 octets are recommended; we accept RFC 2326 "safe" characters, 1 to 256 of them.
 */
export interface SessionHeader {
  id: string;
  /** Seconds; absent means the 60 s default. */
  timeout?: number;
}

const SESSION_ID = /^[A-Za-z0-9$\-_.+]{1,256}$/;

export function parseSession(value: string): SessionHeader {
  checkLength('Session', value);
  const [rawId, ...params] = value.split(';');
  const id = rawId.trim();
  if (!SESSION_ID.test(id)) throw new RtspParseError(`invalid session id ${JSON.stringify(id.slice(0, 40))}`, 454);
  const out: SessionHeader = { id };
  for (const p of params) {
    const [k, v = ''] = p.split('=', 2).map((s) => s.trim());
    if (k.toLowerCase() === 'timeout') out.timeout = parseDecimal('session timeout', v, 0x7fffffff);
  }
  return out;
}

export function formatSession(session: SessionHeader): string {
  if (!SESSION_ID.test(session.id)) throw new RtspEncodeError(`invalid session id ${JSON.stringify(session.id)}`);
  return session.timeout === undefined ? session.id : `${session.id};timeout=${session.timeout}`;
}
