/**
 * URLs an RTSP client builds from what a camera tells it (RFC 2326 §C.1.1, RFC 7826 §18.33):
 * the base URL is Content-Base, else Content-Location, else the request URL; a media's
 * `a=control` is absolute, `*` (the base itself) or relative to the base.
 *
 * Relative controls are appended to the whole base, query included, as cameras expect and
 * ffmpeg, live555 and gortsplib do: Dahua's `…/cam/realmonitor?channel=1&subtype=0` with
 * `trackID=0` becomes `…/cam/realmonitor?channel=1&subtype=0/trackID=0`.
 */
const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\//i;

export function isAbsoluteUrl(url: string): boolean {
  return ABSOLUTE.test(url);
}

/**
 * The base URL of a DESCRIBE answer. A relative Content-Base / Content-Location is resolved
 * against the request URL.
 */
export function describeBaseUrl(requestUrl: string, contentBase: string | undefined, contentLocation: string | undefined): string {
  const given = (contentBase ?? contentLocation)?.trim();
  if (!given) return requestUrl;
  if (isAbsoluteUrl(given)) return given;
  return resolveRelative(requestUrl, given);
}

/** The URL of a media (or, with the session-level control, of the aggregate). */
export function controlUrl(base: string, control: string | undefined): string {
  const c = control?.trim();
  if (c === undefined || c === '' || c === '*') return base;
  if (isAbsoluteUrl(c)) return c;
  // `?ctype=video`-style controls extend the query rather than the path.
  if (c.startsWith('?')) return `${base}${c}`;
  return `${base.endsWith('/') ? base : `${base}/`}${c.replace(/^\/+/, '')}`;
}

/** Resolves a Location header of a redirect (RFC 2326 §12.25) against the request URL. */
export function redirectUrl(requestUrl: string, location: string): string {
  const l = location.trim();
  return isAbsoluteUrl(l) ? l : resolveRelative(requestUrl, l);
}

function authorityOf(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*)/i.exec(url);
  return m ? m[1] : url;
}

function resolveRelative(requestUrl: string, relative: string): string {
  if (relative.startsWith('/')) return `${authorityOf(requestUrl)}${relative}`;
  const q = requestUrl.indexOf('?');
  const path = q < 0 ? requestUrl : requestUrl.slice(0, q);
  const dir = path.slice(0, path.lastIndexOf('/') + 1);
  return dir.length > authorityOf(requestUrl).length ? `${dir}${relative}` : `${path}/${relative}`;
}

export interface UrlWithoutUserinfo {
  /** The URL with `user:pass@` removed: the only form that may be sent, logged or shown. */
  url: string;
  username?: string;
  password?: string;
}

/**
 * Splits `rtsp://user:pass@host/…` (percent-decoding the userinfo, RFC 3986 §3.2.1). The last
 * `@` of the authority ends the userinfo, so unencoded `@` in passwords (common) still works.
 */
export function splitUserinfo(raw: string): UrlWithoutUserinfo {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)(.*)$/is.exec(raw);
  if (!m) return { url: raw };
  const rest = m[2];
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const at = authority.lastIndexOf('@');
  if (at < 0) return { url: raw };
  const userinfo = authority.slice(0, at);
  const colon = userinfo.indexOf(':');
  const out: UrlWithoutUserinfo = { url: `${m[1]}${rest.slice(at + 1)}`, username: safeDecode(colon < 0 ? userinfo : userinfo.slice(0, colon)) };
  if (colon >= 0) out.password = safeDecode(userinfo.slice(colon + 1));
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch (err) {
    if (err instanceof URIError) return s;
    throw err;
  }
}
