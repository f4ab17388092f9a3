/**
 * MPEG-4 AAC RTP packetizer, RFC 3640 AAC-hbr (§3.3.6; sizeLength 13, indexLength 3,
 * indexDeltaLength 3). Consecutive AUs share a packet while they fit (§3.2.3.2); an AU larger
 * than the payload budget is fragmented (§3.2.3.1). Marker: set on every packet that ends an
 * AU, i.e. all but non-final fragments.
 */
import type { RtpPacket } from '../packet/rtp-packet';
import { ByteAllocator, FramedRtpPackets, FramedRtpWriter, framedRtpByteLength } from '../packet/framed-rtp';
import type { Sequencer } from '../sequencer';
import { wrapTimestamp } from '../sequence';
import { AacEncodeError } from './errors';

export interface AacEncoderOptions {
  sequencer: Sequencer;
  /** Default 97. */
  payloadType?: number;
  /** Largest RTP payload, bytes. Default 1400. */
  maxPayloadSize?: number;
  /** RTP clock ticks per AU. Default 1024. */
  samplesPerFrame?: number;
  /** Where `encodeFramed` buffers come from (e.g. a stream's BufferSlab). Default: a new one each. */
  allocate?: ByteAllocator;
}

const AU_HEADERS_LENGTH = 2;
const AU_HEADER = 2;
/** sizeLength 13: an AU-size field holds at most 8191. */
const MAX_AU_SIZE = 0x1fff;

export class AacEncoder {
  private readonly sequencer: Sequencer;
  private readonly payloadType: number;
  private readonly maxPayloadSize: number;
  private readonly samplesPerFrame: number;
  private readonly allocate: ByteAllocator | undefined;

  constructor(options: AacEncoderOptions) {
    this.allocate = options.allocate;
    this.sequencer = options.sequencer;
    this.payloadType = options.payloadType ?? 97;
    this.maxPayloadSize = options.maxPayloadSize ?? 1400;
    this.samplesPerFrame = options.samplesPerFrame ?? 1024;
    if (this.maxPayloadSize < AU_HEADERS_LENGTH + AU_HEADER + 1) throw new AacEncodeError(`maxPayloadSize ${this.maxPayloadSize} is too small`);
  }

  /** Packetizes consecutive AUs; the first has RTP `timestamp`, each next one `samplesPerFrame` later. */
  encode(aus: readonly Uint8Array[], timestamp: number): RtpPacket[] {
    return this.plan(aus, timestamp).map((p) => {
      const payload = new Uint8Array(payloadSize(p));
      writePayload(p, payload, 0);
      return {
        header: {
          marker: p.marker,
          payloadType: this.payloadType,
          sequenceNumber: this.sequencer.nextSequenceNumber(),
          timestamp: p.timestamp,
          ssrc: this.sequencer.ssrc,
          csrc: [],
          padding: false,
        },
        payload,
      };
    });
  }

  /** The same packets written once into one buffer, RFC 4571-framed after `headroom` bytes (FramedRtpWriter). */
  encodeFramed(aus: readonly Uint8Array[], timestamp: number, headroom = 0): FramedRtpPackets {
    if (aus.length === 1) {
      const single = this.encodeSingle(aus[0], timestamp, headroom);
      if (single) return single;
    }
    const plan = this.plan(aus, timestamp);
    let size = headroom;
    for (const p of plan) size += framedRtpByteLength(payloadSize(p));
    const writer = new FramedRtpWriter(size, headroom, this.allocate);
    for (const p of plan) {
      const at = writer.begin(payloadSize(p), {
        marker: p.marker, payloadType: this.payloadType, sequenceNumber: this.sequencer.nextSequenceNumber(), timestamp: p.timestamp, ssrc: this.sequencer.ssrc,
      });
      writePayload(p, writer.buffer, at);
    }
    return writer.done();
  }

  /**
   * One AU that fits one packet, the packetizer's case (an AAC frame per access unit), written
   * without a plan; undefined when it needs one (fragments) or is refused by it.
   */
  private encodeSingle(au: Uint8Array, timestamp: number, headroom: number): FramedRtpPackets | undefined {
    const size = AU_HEADERS_LENGTH + AU_HEADER + au.byteLength;
    if (au.byteLength === 0 || au.byteLength > MAX_AU_SIZE || size > this.maxPayloadSize) return undefined;
    const writer = new FramedRtpWriter(headroom + framedRtpByteLength(size), headroom, this.allocate);
    const at = writer.begin(size, {
      marker: true, payloadType: this.payloadType, sequenceNumber: this.sequencer.nextSequenceNumber(), timestamp: wrapTimestamp(timestamp), ssrc: this.sequencer.ssrc,
    });
    const b = writer.buffer;
    writeHeadersLength(b, at, 1);
    writeAuHeader(b, at + AU_HEADERS_LENGTH, au.byteLength);
    b.set(au, at + AU_HEADERS_LENGTH + AU_HEADER);
    return writer.done();
  }

  /** Which AUs (or which part of one) each packet carries, in order. */
  private plan(aus: readonly Uint8Array[], timestamp: number): PayloadPlan[] {
    const out: PayloadPlan[] = [];
    let i = 0;
    while (i < aus.length) {
      const first = aus[i];
      if (first.byteLength === 0 || first.byteLength > MAX_AU_SIZE) throw new AacEncodeError(`AU of ${first.byteLength} bytes`);
      const ts = wrapTimestamp(timestamp + i * this.samplesPerFrame);
      if (AU_HEADERS_LENGTH + AU_HEADER + first.byteLength > this.maxPayloadSize) {
        const chunk = this.maxPayloadSize - AU_HEADERS_LENGTH - AU_HEADER;
        for (let pos = 0; pos < first.byteLength; pos += chunk) {
          const end = Math.min(pos + chunk, first.byteLength);
          out.push({ aus: [first.subarray(pos, end)], sizes: [first.byteLength], timestamp: ts, marker: end === first.byteLength });
        }
        i++;
        continue;
      }
      let n = 1;
      let size = AU_HEADERS_LENGTH + AU_HEADER + first.byteLength;
      while (i + n < aus.length) {
        const next = aus[i + n];
        if (next.byteLength === 0 || next.byteLength > MAX_AU_SIZE) throw new AacEncodeError(`AU of ${next.byteLength} bytes`);
        if (size + AU_HEADER + next.byteLength > this.maxPayloadSize) break;
        size += AU_HEADER + next.byteLength;
        n++;
      }
      const group = aus.slice(i, i + n);
      out.push({ aus: group, sizes: group.map((a) => a.byteLength), timestamp: ts, marker: true });
      i += n;
    }
    return out;
  }
}

/**
 * One packet: AU headers for `sizes`, then the bytes of `aus`. A fragment (§3.2.3.1) has one AU
 * header with the whole AU's size and carries a part of it.
 */
interface PayloadPlan {
  aus: Uint8Array[];
  sizes: number[];
  timestamp: number;
  marker: boolean;
}

function payloadSize(p: PayloadPlan): number {
  let n = AU_HEADERS_LENGTH + p.sizes.length * AU_HEADER;
  for (const a of p.aus) n += a.byteLength;
  return n;
}

function writePayload(p: PayloadPlan, out: Uint8Array, offset: number): void {
  writeHeaders(out, offset, p.sizes);
  let pos = offset + AU_HEADERS_LENGTH + p.sizes.length * AU_HEADER;
  for (const a of p.aus) {
    out.set(a, pos);
    pos += a.byteLength;
  }
}

/** AU-headers-length in bits, then one 16-bit header per AU. */
function writeHeaders(payload: Uint8Array, offset: number, sizes: readonly number[]): void {
  writeHeadersLength(payload, offset, sizes.length);
  sizes.forEach((s, k) => writeAuHeader(payload, offset + AU_HEADERS_LENGTH + k * AU_HEADER, s));
}

/** RFC 3640 §3.2.1: the AU-headers-length field counts the headers' bits. */
function writeHeadersLength(payload: Uint8Array, offset: number, count: number): void {
  const bits = count * AU_HEADER * 8;
  payload[offset] = bits >> 8;
  payload[offset + 1] = bits & 0xff;
}

/** AAC-hbr AU header (sizeLength 13, indexLength 3): size << 3 | index 0. */
function writeAuHeader(payload: Uint8Array, at: number, size: number): void {
  payload[at] = size >> 5;
  payload[at + 1] = (size & 0x1f) << 3;
}
