/**
 * Lower-transport decisions of the pull client, kept pure so they can be tested as tables
 * (RFC 2326 §12.39 Transport, RFC 7826 §18.54).
 */
import { PortPair, RtspParseError, formatTransport, parseTransport } from '@streamgate/protocol-rtsp';
import type { StreamTransport } from '@streamgate/contracts';
import { RtspProtocolViolation } from './rtsp-client-errors';

export type LowerTransport = 'udp' | 'tcp';

/** How long `auto` waits for the first RTP packet over UDP before switching to TCP. */
export const UDP_FIRST_PACKET_TIMEOUT_MS = 3000;

/** What we offer in SETUP: client ports for UDP, a channel pair for TCP. */
export type TransportOffer = { lower: 'udp'; clientPorts: PortPair } | { lower: 'tcp'; channels: PortPair };

export interface NegotiatedTransport {
  lower: LowerTransport;
  /** TCP: RTP and RTCP channels (ours when the reply leaves `interleaved` out). */
  channels?: PortPair;
  /** UDP: where to send RTCP (and where media comes from); absent when the camera omits it. */
  serverPorts?: PortPair;
  /** UDP: `source=` of the reply, else the control connection's peer. */
  source?: string;
  ssrc?: number;
}

export function offerHeader(offer: TransportOffer): string {
  return offer.lower === 'udp'
    ? formatTransport({ protocol: 'RTP', profile: 'AVP', lowerTransport: 'UDP', delivery: 'unicast', clientPort: offer.clientPorts })
    : formatTransport({ protocol: 'RTP', profile: 'AVP', lowerTransport: 'TCP', delivery: 'unicast', interleaved: offer.channels });
}

/**
 * Reads the SETUP reply's Transport. Tolerates what cameras get wrong: no header at all, no
 * `interleaved` (we use what we asked), odd or missing `server_port`, `source=`.
 */
export function acceptTransport(offer: TransportOffer, reply: string | undefined): NegotiatedTransport {
  if (reply === undefined || reply.trim() === '') {
    return offer.lower === 'udp' ? { lower: 'udp' } : { lower: 'tcp', channels: offer.channels };
  }
  let spec;
  try {
    spec = parseTransport(reply);
  } catch (err) {
    if (!(err instanceof RtspParseError)) throw err;
    throw new RtspProtocolViolation(`SETUP answered an unusable Transport (${err.message})`);
  }
  const lower = spec.lowerTransport === 'TCP' ? 'tcp' : 'udp';
  if (lower !== offer.lower) throw new RtspProtocolViolation(`SETUP answered ${spec.lowerTransport} when ${offer.lower.toUpperCase()} was asked`);
  if (offer.lower === 'tcp') return { lower: 'tcp', channels: spec.interleaved ?? offer.channels, ssrc: spec.ssrc };
  const out: NegotiatedTransport = { lower: 'udp' };
  if (spec.serverPort && spec.serverPort[0] > 0) out.serverPorts = spec.serverPort;
  if (spec.source) out.source = spec.source;
  if (spec.ssrc !== undefined) out.ssrc = spec.ssrc;
  return out;
}

/**
 * Whether a SETUP status means "not over UDP": 461 Unsupported Transport, or another 4xx
 * (cameras behind NAT or with UDP off answer 400/403/406/453). 401 is auth, 404 a bad URL.
 */
export function refusesUdp(statusCode: number): boolean {
  return statusCode >= 400 && statusCode < 500 && statusCode !== 401 && statusCode !== 404;
}

/** A stream's `auto` defers to the gateway default (RTSP_TRANSPORT_DEFAULT, itself `auto` by default). */
export function effectiveMode(stream: StreamTransport, gatewayDefault: StreamTransport): StreamTransport {
  return stream === 'auto' ? gatewayDefault : stream;
}

/** `auto` starts with UDP (lower latency, no head-of-line blocking) and falls back to TCP. */
export function initialTransport(mode: StreamTransport): LowerTransport {
  return mode === 'tcp' ? 'tcp' : 'udp';
}
