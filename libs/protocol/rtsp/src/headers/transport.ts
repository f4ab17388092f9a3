import { RtspEncodeError, RtspParseError } from '../base/errors';
import { checkLength, parseDecimal, splitOutsideQuotes, unquote } from './header-params';

/**
 * RFC 2326 §12.39 Transport:
 *
 *   Transport = "Transport" ":" 1#transport-spec
 *   transport-spec = transport-protocol/profile[/lower-transport] *parameter
 *   parameter = ( "unicast" | "multicast" ) | ";" "destination" [ "=" address ]
 *             | ";" "interleaved" "=" channel [ "-" channel ] | ";" "append"
 *             | ";" "ttl" "=" ttl | ";" "layers" "=" 1*DIGIT
 *             | ";" "port" "=" port [ "-" port ] | ";" "client_port" "=" port [ "-" port ]
 *             | ";" "server_port" "=" port [ "-" port ] | ";" "ssrc" "=" ssrc
 *             | ";" "mode" = <"> 1#mode <">
 *
 * A client may offer several alternatives separated by commas, in order of preference.
 */
export type PortPair = readonly [number, number];

export interface TransportSpec {
  /** `RTP` in practice. */
  protocol: string;
  /** `AVP` (RFC 3551); `SAVP`/`AVPF` are parsed so a server can refuse them. */
  profile: string;
  /** RFC 2326: UDP when omitted. */
  lowerTransport: 'UDP' | 'TCP';
  delivery?: 'unicast' | 'multicast';
  destination?: string;
  source?: string;
  interleaved?: PortPair;
  ttl?: number;
  layers?: number;
  port?: PortPair;
  clientPort?: PortPair;
  serverPort?: PortPair;
  /** 32-bit SSRC (hex on the wire). */
  ssrc?: number;
  /** Upper-cased, unquoted, e.g. `PLAY` or `RECORD`. */
  mode?: string;
  append?: boolean;
}

const PROTOCOL = /^([A-Za-z0-9]+)\/([A-Za-z0-9]+)(?:\/([A-Za-z]+))?$/;

function parsePair(name: string, value: string, max: number): PortPair {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(value.trim());
  if (!m) throw new RtspParseError(`invalid ${name} ${JSON.stringify(value.slice(0, 40))}`);
  const a = parseDecimal(name, m[1], max);
  const b = m[2] === undefined ? Math.min(a + 1, max) : parseDecimal(name, m[2], max);
  return [a, b];
}

function parseSpec(text: string): TransportSpec {
  const params = splitOutsideQuotes(text, ';').map((p) => p.trim());
  const proto = PROTOCOL.exec(params[0]);
  if (!proto) throw new RtspParseError(`invalid transport protocol ${JSON.stringify(params[0].slice(0, 40))}`, 461);
  const lower = (proto[3] ?? 'UDP').toUpperCase();
  if (lower !== 'UDP' && lower !== 'TCP') throw new RtspParseError(`unsupported lower transport ${lower}`, 461);
  const spec: TransportSpec = { protocol: proto[1].toUpperCase(), profile: proto[2].toUpperCase(), lowerTransport: lower };
  for (const p of params.slice(1)) {
    if (p.length === 0) continue;
    const eq = p.indexOf('=');
    const key = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? '' : unquote(p.slice(eq + 1));
    switch (key) {
      case 'unicast':
      case 'multicast':
        spec.delivery = key;
        break;
      case 'destination':
        spec.destination = value;
        break;
      case 'source':
        spec.source = value;
        break;
      case 'interleaved':
        spec.interleaved = parsePair('interleaved', value, 255);
        break;
      case 'ttl':
        spec.ttl = parseDecimal('ttl', value, 255);
        break;
      case 'layers':
        spec.layers = parseDecimal('layers', value, 255);
        break;
      case 'port':
        spec.port = parsePair('port', value, 65535);
        break;
      case 'client_port':
        spec.clientPort = parsePair('client_port', value, 65535);
        break;
      case 'server_port':
        spec.serverPort = parsePair('server_port', value, 65535);
        break;
      case 'ssrc':
        // Hex per RFC 2326; some servers pad to more than 8 digits or add a "0x".
        if (!/^(0x)?[0-9A-Fa-f]{1,16}$/.test(value)) throw new RtspParseError(`invalid ssrc ${JSON.stringify(value.slice(0, 40))}`);
        spec.ssrc = Number(BigInt(value.startsWith('0x') ? value : `0x${value}`) & 0xffffffffn);
        break;
      case 'mode':
        spec.mode = value.toUpperCase();
        break;
      case 'append':
        spec.append = true;
        break;
      default:
        // RFC 2326 §12.39: unknown parameters are ignored.
        break;
    }
  }
  return spec;
}

/** Parses every comma-separated alternative; throws RtspParseError (461 for unknown protocols). */
export function parseTransports(value: string): TransportSpec[] {
  checkLength('Transport', value);
  const specs = splitOutsideQuotes(value, ',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (specs.length === 0) throw new RtspParseError('empty Transport header');
  if (specs.length > 16) throw new RtspParseError('too many Transport alternatives');
  return specs.map(parseSpec);
}

/** The first alternative only. */
export function parseTransport(value: string): TransportSpec {
  return parseTransports(value)[0];
}

const pair = (p: PortPair): string => `${p[0]}-${p[1]}`;
const SAFE_VALUE = /^[^;,"\s]+$/;

export function formatTransport(spec: TransportSpec): string {
  const parts = [`${spec.protocol}/${spec.profile}/${spec.lowerTransport}`];
  if (spec.delivery) parts.push(spec.delivery);
  for (const [key, value] of [['destination', spec.destination], ['source', spec.source]] as const) {
    if (value === undefined) continue;
    if (!SAFE_VALUE.test(value)) throw new RtspEncodeError(`invalid ${key} ${JSON.stringify(value)}`);
    parts.push(`${key}=${value}`);
  }
  if (spec.interleaved) parts.push(`interleaved=${pair(spec.interleaved)}`);
  if (spec.ttl !== undefined) parts.push(`ttl=${spec.ttl}`);
  if (spec.layers !== undefined) parts.push(`layers=${spec.layers}`);
  if (spec.port) parts.push(`port=${pair(spec.port)}`);
  if (spec.clientPort) parts.push(`client_port=${pair(spec.clientPort)}`);
  if (spec.serverPort) parts.push(`server_port=${pair(spec.serverPort)}`);
  if (spec.ssrc !== undefined) parts.push(`ssrc=${(spec.ssrc >>> 0).toString(16).toUpperCase().padStart(8, '0')}`);
  if (spec.mode !== undefined) {
    if (!/^[A-Za-z,]+$/.test(spec.mode)) throw new RtspEncodeError(`invalid mode ${JSON.stringify(spec.mode)}`);
    parts.push(`mode="${spec.mode}"`);
  }
  if (spec.append) parts.push('append');
  return parts.join(';');
}

export function formatTransports(specs: readonly TransportSpec[]): string {
  return specs.map(formatTransport).join(',');
}
