import { RtspParseError } from '../base/errors';

/**
 * RTSP request URLs (RFC 2326 §3.2) as this gateway uses them:
 *
 *   rtsp://host[:port]/<stream>[/]                 aggregate control URL (Content-Base)
 *   rtsp://host[:port]/<stream>/trackID=<n>        per-track control URL (a=control:trackID=n)
 *
 * Tolerated: a trailing slash, a query string (`?token=...`; some clients append the control
 * after it, e.g. `/s?token=1/trackID=0`), and controls given relative to the Content-Base.
 */
export interface RtspUrl {
  /** `rtsp`, `rtsps` or `rtspu`, lower-cased. */
  scheme: string;
  host: string;
  port?: number;
  /** Path segments without empty ones, e.g. ['cam1', 'trackID=0']. */
  segments: string[];
  query?: string;
}

export interface RtspResourcePath {
  /** First path segment ('' for `rtsp://host/` or `*`). */
  streamName: string;
  /** From a final `trackID=<n>` segment. */
  trackId?: number;
}

export const MAX_RTSP_URL_LENGTH = 4096;

const ABSOLUTE = /^(rtsps?|rtspu):\/\/(?:[^@/?#]*@)?(\[[0-9A-Fa-f:.]+\]|[^:/?#]*)(?::(\d{1,5}))?([^?#]*)(?:\?([^#]*))?(?:#.*)?$/i;
const TRACK = /^trackID=(\d{1,3})$/i;

export function parseRtspUrl(url: string): RtspUrl {
  if (url.length > MAX_RTSP_URL_LENGTH) throw new RtspParseError(`URL longer than ${MAX_RTSP_URL_LENGTH}`, 414);
  const m = ABSOLUTE.exec(url);
  if (!m) throw new RtspParseError(`not an rtsp URL: ${JSON.stringify(url.slice(0, 80))}`);
  const out: RtspUrl = { scheme: m[1].toLowerCase(), host: m[2], segments: splitPath(m[4]) };
  if (m[3] !== undefined) {
    const port = Number(m[3]);
    if (port > 65535) throw new RtspParseError(`invalid port in ${JSON.stringify(url.slice(0, 80))}`);
    out.port = port;
  }
  if (m[5] !== undefined) out.query = m[5];
  return out;
}

function splitPath(path: string): string[] {
  const segments: string[] = [];
  for (const raw of path.split('/')) {
    if (raw.length === 0 || raw === '.') continue;
    let s: string;
    try {
      s = decodeURIComponent(raw);
    } catch (err) {
      throw new RtspParseError(`malformed percent-encoding in path (${(err as Error).message})`);
    }
    segments.push(s);
  }
  return segments;
}

/**
 * The stream name and track id a request URL addresses. Throws RtspParseError (404) when the
 * path has another shape.
 */
export function resourcePath(url: RtspUrl): RtspResourcePath {
  const segments = [...url.segments];
  // `/s?token=1/trackID=0`: the control was appended after the query.
  if (url.query !== undefined) {
    const tail = /\/(trackID=\d{1,3})\/?$/i.exec(url.query);
    if (tail) segments.push(tail[1]);
  }
  const last = segments[segments.length - 1];
  const track = last === undefined ? null : TRACK.exec(last);
  if (track) segments.pop();
  if (segments.length > 1) throw new RtspParseError(`no such resource: /${segments.join('/')}`, 404);
  const out: RtspResourcePath = { streamName: segments[0] ?? '' };
  if (track) {
    const id = Number(track[1]);
    if (id > 255) throw new RtspParseError(`track id ${id} out of range`, 404);
    out.trackId = id;
  }
  return out;
}

/** Parses a request URL (or `*`) straight into its resource path. */
export function parseResourcePath(requestUrl: string): RtspResourcePath {
  if (requestUrl === '*') return { streamName: '' };
  return resourcePath(parseRtspUrl(requestUrl));
}

/** The host to connect a socket to: an IPv6 literal without its brackets (`[::1]` → `::1`). */
export function connectHost(url: RtspUrl): string {
  return url.host.replace(/^\[(.*)\]$/, '$1');
}

/** `rtsp://host[:port]` of a parsed URL, for building Content-Base and RTP-Info URLs. */
export function urlAuthority(url: RtspUrl): string {
  return `${url.scheme}://${url.host}${url.port === undefined ? '' : `:${url.port}`}`;
}
