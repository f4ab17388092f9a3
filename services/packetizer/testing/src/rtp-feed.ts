/**
 * Test support: drives the packetizer's RTP processor with captured packets the way ingest would
 * (one batch per packet or per group, arrival times spaced), and rewrites packet headers on
 * copies. The test passes the processor class: a testing project never imports the service.
 */
import { parseRtpPacket, RtpPacket, serializeRtpPacket } from '@streamgate/protocol-rtp';

export const TEST_MTU = 200;

/** The options of an RTP processor this support sets. */
export interface TestProcessorOptions {
  maxPayloadSize?: number;
  random?: () => number;
}

/** A batch of RTP packets as ingest hands it over. */
export interface RtpBatch {
  track: number;
  rtcp: boolean;
  receivedAt: number;
  packets: readonly Uint8Array[];
}

/** What a processor turns a batch into, as far as these helpers read it. */
export interface RtpProcessorOutput {
  packets: Uint8Array[];
}

/** A processor with a deterministic random source and a small payload budget (forces FU re-splits). */
export function testProcessor<O extends TestProcessorOptions, P extends { configure(sdp: string): void }>(
  Processor: new (options?: O) => P, sdp: string, options?: NoInfer<O>,
): P {
  let r = 1;
  // The defaults are TestProcessorOptions fields, which O extends: the spread is an O.
  const p = new Processor({ maxPayloadSize: TEST_MTU, random: () => (r = (r * 1103515245 + 12345) >>> 0), ...options } as O);
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

export function feed<U>(p: { processBatch(batch: RtpBatch): U[] }, track: number, packets: readonly Uint8Array[], o: FeedOptions = {}): U[] {
  const out: U[] = [];
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

export const allPackets = (units: readonly RtpProcessorOutput[]): Uint8Array[] => units.flatMap((u) => u.packets);
