import { RtspParseError } from '../base/errors';

/** Longest header value any parser here accepts; keeps parsing time bounded. */
export const MAX_HEADER_VALUE_LENGTH = 8192;

export function checkLength(header: string, value: string): void {
  if (value.length > MAX_HEADER_VALUE_LENGTH) throw new RtspParseError(`${header} header longer than ${MAX_HEADER_VALUE_LENGTH}`);
}

/** Splits on `sep` outside double quotes (RFC 2616 §2.2 quoted-string, with `\` escapes). */
export function splitOutsideQuotes(value: string, sep: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted && c === '\\' && i + 1 < value.length) {
      current += c + value[++i];
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === sep && !quoted) {
      parts.push(current);
      current = '';
      continue;
    }
    current += c;
  }
  if (quoted) throw new RtspParseError('unterminated quoted string');
  parts.push(current);
  return parts;
}

export function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && v[0] === '"' && v[v.length - 1] === '"') return v.slice(1, -1).replace(/\\(.)/g, '$1');
  return v;
}

export function quote(value: string): string {
  return `"${value.replace(/(["\\])/g, '\\$1')}"`;
}

/** `key=value` pairs separated by commas (RFC 7235 auth-param); keys lowercased. */
export function parseAuthParams(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of splitOutsideQuotes(text, ',')) {
    const p = part.trim();
    if (p.length === 0) continue;
    const eq = p.indexOf('=');
    if (eq <= 0) throw new RtspParseError(`malformed auth parameter ${JSON.stringify(p.slice(0, 40))}`);
    out.set(p.slice(0, eq).trim().toLowerCase(), unquote(p.slice(eq + 1)));
  }
  return out;
}

export function parseDecimal(name: string, text: string, max: number): number {
  if (!/^\d{1,10}$/.test(text)) throw new RtspParseError(`invalid ${name} ${JSON.stringify(text.slice(0, 40))}`);
  const n = Number(text);
  if (n > max) throw new RtspParseError(`${name} ${n} out of range`);
  return n;
}
