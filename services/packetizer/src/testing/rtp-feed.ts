/**
 * Test support: drives an RtpStreamProcessor with captured packets the way ingest would (one
 * batch per packet or per group, arrival times spaced), and rewrites packet headers on copies.
 */
import { parseRtpPacket, RtpPacket, serializeRtpPacket } from '@streamgate/protocol-rtp';
import type { AccessUnitOut } from '../media/access-unit';
import { RtpStreamProcessor, RtpStreamProcessorOptions } from '../rtp/rtp-stream-processor';

export const TEST_MTU = 200;

/** A processor with a deterministic random source and a small payload budget (forces FU re-splits). */
export function testProcessor(sdp: string, options: RtpStreamProcessorOptions = {}): RtpStreamProcessor {
  let r = 1;
  const p = new RtpStreamProcessor({ maxPayloadSize: TEST_MTU, random: () => (r = (r * 1103515245 + 12345) >>> 0), ...options });
  p.configure(sdp);
  return p;
}

export interface FeedOptions {
  /** Arrival time of the first batch and spacing, ms. Defaults 1000 / 5. */
  startMs?: number;
  stepMs?: number;
  /** Packets per batch. Default 1. */
  batch?: number;
}

export function feed(p: RtpStreamProcessor, track: number, packets: readonly Uint8Array[], o: FeedOptions = {}): AccessUnitOut[] {
  const out: AccessUnitOut[] = [];
  const batch = o.batch ?? 1;
  for (let i = 0, n = 0; i < packets.length; i += batch, n++) {
    out.push(...p.processBatch({ track, rtcp: false, receivedAt: (o.startMs ?? 1000) + n * (o.stepMs ?? 5), packets: packets.slice(i, i + batch) }));
  }
  return out;
}

/** A copy of `bytes` with header fields replaced. */
export function rewrite(bytes: Uint8Array, change: (h: RtpPacket['header']) => Partial<RtpPacket['header']>): Uint8Array {
  const p = parseRtpPacket(bytes);
  return serializeRtpPacket({ header: { ...p.header, ...change(p.header) }, payload: p.payload });
}

export const allPackets = (units: readonly AccessUnitOut[]): Uint8Array[] => units.flatMap((u) => u.packets);
