/**
 * Test support: drives the packetizer's RTP processor with captured packets the way ingest does
 * (each track's packets through its one RtpReceiver, which orders them and flags new sources;
 * one batch per packet or per group, arrival times spaced), and rewrites packet headers on
 * copies. The test passes the processor class: a testing project never imports the service.
 */
import { parseRtpPacket, RtpPacket, RtpReceiver, serializeRtpPacket } from '@streamgate/protocol-rtp';

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
  newSource: boolean;
  receivedAt: number;
  packets: readonly Uint8Array[];
}

type BatchProcessor<U> = { processBatch(batch: RtpBatch): U[] };

/**
 * Ingest's side of one camera session for a processor: an RtpReceiver per track (clock 90 kHz:
 * only jitter depends on it), and after each batch the other tracks give up old gaps, as
 * RtspClientSession does.
 */
export class IngestReceivers<U> {
  private readonly receivers = new Map<number, RtpReceiver>();
  private out: U[] = [];

  constructor(private readonly processor: BatchProcessor<U>) {}

  /** Packets read together at `receivedAt` on `track`; what the processor returned meanwhile. */
  read(track: number, packets: readonly Uint8Array[], receivedAt: number): U[] {
    const r = this.receiver(track);
    for (const p of packets) r.receive(p, receivedAt);
    r.flush();
    for (const other of this.receivers.values()) {
      if (other === r) continue;
      other.expire(receivedAt);
      other.flush();
    }
    const out = this.out;
    this.out = [];
    return out;
  }

  /** Cumulative loss over every track (RFC 3550 A.3), as ingest's status reports it. */
  get packetsLost(): number {
    let n = 0;
    for (const r of this.receivers.values()) n += r.stats.packetsLost;
    return n;
  }

  get heldPackets(): number {
    let n = 0;
    for (const r of this.receivers.values()) n += r.reorder.heldPackets;
    return n;
  }

  private receiver(track: number): RtpReceiver {
    let r = this.receivers.get(track);
    if (!r) {
      r = new RtpReceiver({ clockRate: 90000 }, (packets, receivedAt, newSource) => {
        this.out.push(...this.processor.processBatch({ track, rtcp: false, newSource, receivedAt, packets }));
      });
      this.receivers.set(track, r);
    }
    return r;
  }
}

const ingestOf = new WeakMap<object, IngestReceivers<unknown>>();

/** The ingest receivers `feed` uses for `p` (kept across calls: one camera session). */
export function ingestFor<U>(p: BatchProcessor<U>): IngestReceivers<U> {
  let i = ingestOf.get(p) as IngestReceivers<U> | undefined;
  if (!i) ingestOf.set(p, (i = new IngestReceivers(p)));
  return i;
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

/** Packets of `track` as a camera sends them, through ingest's receivers into `p`. */
export function feed<U>(p: BatchProcessor<U>, track: number, packets: readonly Uint8Array[], o: FeedOptions = {}): U[] {
  const ingest = ingestFor(p);
  const out: U[] = [];
  const batch = o.batch ?? 1;
  for (let i = 0, n = 0; i < packets.length; i += batch, n++) {
    out.push(...ingest.read(track, packets.slice(i, i + batch), (o.startMs ?? 1000) + n * (o.stepMs ?? 5)));
  }
  return out;
}

/** A copy of `bytes` with header fields replaced. */
export function rewrite(bytes: Uint8Array, change: (h: RtpPacket['header']) => Partial<RtpPacket['header']>): Uint8Array {
  const p = parseRtpPacket(bytes);
  return serializeRtpPacket({ header: { ...p.header, ...change(p.header) }, payload: p.payload });
}

export const allPackets = (units: readonly RtpProcessorOutput[]): Uint8Array[] => units.flatMap((u) => u.packets);
