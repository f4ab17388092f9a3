/**
 * SDP, RFC 8866 (obsoletes RFC 4566) §5: `<type>=<value>` lines, session part then media parts.
 *
 * Parsing is lenient where cameras are sloppy (LF line ends, missing `s=`/`t=`, unknown line
 * types, trailing whitespace) and strict where it matters for safety: sizes, line counts and
 * the `m=` syntax are bounded and validated. Serialization writes RFC order with CRLF.
 */
import { SdpParseError } from './errors';

export interface SdpOrigin {
  username: string;
  sessionId: string;
  sessionVersion: string;
  netType: string;
  addrType: string;
  address: string;
}

export interface SdpConnection {
  netType: string;
  addrType: string;
  address: string;
}

export interface SdpAttribute {
  name: string;
  /** Undefined for property attributes (`a=recvonly`). */
  value?: string;
}

export interface SdpBandwidth {
  type: string;
  value: number;
}

export interface SdpMedia {
  type: string;
  port: number;
  portCount?: number;
  protocol: string;
  formats: string[];
  title?: string;
  connection?: SdpConnection;
  bandwidths: SdpBandwidth[];
  attributes: SdpAttribute[];
}

export interface SessionDescription {
  version: number;
  origin?: SdpOrigin;
  sessionName: string;
  sessionInfo?: string;
  uri?: string;
  connection?: SdpConnection;
  bandwidths: SdpBandwidth[];
  timing: Array<{ start: string; stop: string }>;
  attributes: SdpAttribute[];
  media: SdpMedia[];
}

export interface SdpLimits {
  /** Default 64 KiB. */
  maxBytes?: number;
  /** Default 2000. */
  maxLines?: number;
  /** Default 32. */
  maxMedia?: number;
}

const DEFAULTS: Required<SdpLimits> = { maxBytes: 64 * 1024, maxLines: 2000, maxMedia: 32 };

function parseConnection(v: string, line: number): SdpConnection {
  const [netType, addrType, address] = v.split(/\s+/);
  if (!address) throw new SdpParseError(`bad c= "${v}"`, line);
  return { netType, addrType, address };
}

function parseBandwidth(v: string, line: number): SdpBandwidth {
  const m = /^([A-Za-z0-9_-]+):(\d+)$/.exec(v);
  if (!m) throw new SdpParseError(`bad b= "${v}"`, line);
  return { type: m[1], value: Number(m[2]) };
}

function parseAttribute(v: string): SdpAttribute {
  const colon = v.indexOf(':');
  return colon < 0 ? { name: v } : { name: v.slice(0, colon), value: v.slice(colon + 1) };
}

function parseMedia(v: string, line: number): SdpMedia {
  const m = /^([a-z]+)\s+(\d+)(?:\/(\d+))?\s+(\S+)((?:\s+\S+)*)$/i.exec(v);
  if (!m) throw new SdpParseError(`bad m= "${v}"`, line);
  const port = Number(m[2]);
  if (port > 65535) throw new SdpParseError(`port ${port}`, line);
  const media: SdpMedia = { type: m[1], port, protocol: m[4], formats: m[5].trim().split(/\s+/).filter(Boolean), bandwidths: [], attributes: [] };
  if (m[3] !== undefined) media.portCount = Number(m[3]);
  return media;
}

export function parseSdp(text: string, limits: SdpLimits = {}): SessionDescription {
  const l = { ...DEFAULTS, ...limits };
  if (text.length > l.maxBytes) throw new SdpParseError(`${text.length} bytes exceed ${l.maxBytes}`);
  const lines = text.split(/\r?\n/);
  if (lines.length > l.maxLines) throw new SdpParseError(`${lines.length} lines exceed ${l.maxLines}`);
  const sdp: SessionDescription = { version: -1, sessionName: '', bandwidths: [], timing: [], attributes: [], media: [] };
  let media: SdpMedia | undefined;
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const line = raw.trim();
    if (line === '') return;
    if (line.length < 2 || line[1] !== '=') throw new SdpParseError(`not a <type>=<value> line: "${line.slice(0, 40)}"`, lineNo);
    const type = line[0];
    const value = line.slice(2);
    if (sdp.version < 0 && type !== 'v') throw new SdpParseError('must start with v=', lineNo);
    if (media) {
      switch (type) {
        case 'm':
          break;
        case 'i':
          media.title = value;
          return;
        case 'c':
          media.connection = parseConnection(value, lineNo);
          return;
        case 'b':
          media.bandwidths.push(parseBandwidth(value, lineNo));
          return;
        case 'a':
          media.attributes.push(parseAttribute(value));
          return;
        default:
          return; // k= and unknown types are ignored (§5: unknown types are skipped)
      }
    }
    switch (type) {
      case 'v':
        if (value !== '0') throw new SdpParseError(`version ${value}`, lineNo);
        if (sdp.version >= 0) throw new SdpParseError('second v=', lineNo);
        sdp.version = 0;
        break;
      case 'o': {
        const f = value.split(/\s+/);
        if (f.length < 6) throw new SdpParseError(`bad o= "${value}"`, lineNo);
        // Some cameras put spaces in the username: the last five fields are fixed.
        const tail = f.slice(-5);
        sdp.origin = { username: f.slice(0, -5).join(' '), sessionId: tail[0], sessionVersion: tail[1], netType: tail[2], addrType: tail[3], address: tail[4] };
        break;
      }
      case 's':
        sdp.sessionName = value;
        break;
      case 'i':
        sdp.sessionInfo = value;
        break;
      case 'u':
        sdp.uri = value;
        break;
      case 'c':
        sdp.connection = parseConnection(value, lineNo);
        break;
      case 'b':
        sdp.bandwidths.push(parseBandwidth(value, lineNo));
        break;
      case 't': {
        const [start = '0', stop = '0'] = value.split(/\s+/);
        sdp.timing.push({ start, stop });
        break;
      }
      case 'a':
        sdp.attributes.push(parseAttribute(value));
        break;
      case 'm':
        if (sdp.media.length >= l.maxMedia) throw new SdpParseError(`more than ${l.maxMedia} media`, lineNo);
        media = parseMedia(value, lineNo);
        sdp.media.push(media);
        break;
      default:
        break;
    }
  });
  if (sdp.version < 0) throw new SdpParseError('empty description');
  return sdp;
}

export function serializeSdp(sdp: SessionDescription): string {
  const out: string[] = [`v=${sdp.version < 0 ? 0 : sdp.version}`];
  const o = sdp.origin ?? { username: '-', sessionId: '0', sessionVersion: '0', netType: 'IN', addrType: 'IP4', address: '0.0.0.0' };
  out.push(`o=${o.username} ${o.sessionId} ${o.sessionVersion} ${o.netType} ${o.addrType} ${o.address}`);
  out.push(`s=${sdp.sessionName || ' '}`);
  if (sdp.sessionInfo !== undefined) out.push(`i=${sdp.sessionInfo}`);
  if (sdp.uri !== undefined) out.push(`u=${sdp.uri}`);
  if (sdp.connection) out.push(`c=${sdp.connection.netType} ${sdp.connection.addrType} ${sdp.connection.address}`);
  for (const b of sdp.bandwidths) out.push(`b=${b.type}:${b.value}`);
  const timing = sdp.timing.length > 0 ? sdp.timing : [{ start: '0', stop: '0' }];
  for (const t of timing) out.push(`t=${t.start} ${t.stop}`);
  for (const a of sdp.attributes) out.push(attributeLine(a));
  for (const m of sdp.media) {
    const port = m.portCount === undefined ? `${m.port}` : `${m.port}/${m.portCount}`;
    out.push(`m=${m.type} ${port} ${m.protocol} ${m.formats.join(' ')}`);
    if (m.title !== undefined) out.push(`i=${m.title}`);
    if (m.connection) out.push(`c=${m.connection.netType} ${m.connection.addrType} ${m.connection.address}`);
    for (const b of m.bandwidths) out.push(`b=${b.type}:${b.value}`);
    for (const a of m.attributes) out.push(attributeLine(a));
  }
  return `${out.join('\r\n')}\r\n`;
}

function attributeLine(a: SdpAttribute): string {
  return a.value === undefined ? `a=${a.name}` : `a=${a.name}:${a.value}`;
}
