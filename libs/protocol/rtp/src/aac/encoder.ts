/**
 * MPEG-4 AAC RTP packetizer, RFC 3640 AAC-hbr (§3.3.6; sizeLength 13, indexLength 3,
 * indexDeltaLength 3). Consecutive AUs share a packet while they fit (§3.2.3.2); an AU larger
 * than the payload budget is fragmented (§3.2.3.1). Marker: set on every packet that ends an
 * AU, i.e. all but non-final fragments.
 */
import type { RtpPacket } from '../packet/rtp-packet';
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

  constructor(options: AacEncoderOptions) {
    this.sequencer = options.sequencer;
    this.payloadType = options.payloadType ?? 97;
    this.maxPayloadSize = options.maxPayloadSize ?? 1400;
    this.samplesPerFrame = options.samplesPerFrame ?? 1024;
    if (this.maxPayloadSize < AU_HEADERS_LENGTH + AU_HEADER + 1) throw new AacEncodeError(`maxPayloadSize ${this.maxPayloadSize} is too small`);
  }

  /** Packetizes consecutive AUs; the first has RTP `timestamp`, each next one `samplesPerFrame` later. */
  encode(aus: readonly Uint8Array[], timestamp: number): RtpPacket[] {
    const out: RtpPacket[] = [];
    let i = 0;
    while (i < aus.length) {
      const first = aus[i];
      if (first.byteLength === 0 || first.byteLength > MAX_AU_SIZE) throw new AacEncodeError(`AU of ${first.byteLength} bytes`);
      const ts = wrapTimestamp(timestamp + i * this.samplesPerFrame);
      if (AU_HEADERS_LENGTH + AU_HEADER + first.byteLength > this.maxPayloadSize) {
        this.fragment(first, ts, out);
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
      const payload = new Uint8Array(size);
      writeHeaders(payload, aus.slice(i, i + n).map((a) => a.byteLength));
      let pos = AU_HEADERS_LENGTH + n * AU_HEADER;
      for (let k = i; k < i + n; k++) {
        payload.set(aus[k], pos);
        pos += aus[k].byteLength;
      }
      out.push(this.packet(payload, ts, true));
      i += n;
    }
    return out;
  }

  private fragment(au: Uint8Array, ts: number, out: RtpPacket[]): void {
    const chunk = this.maxPayloadSize - AU_HEADERS_LENGTH - AU_HEADER;
    for (let pos = 0; pos < au.byteLength; pos += chunk) {
      const end = Math.min(pos + chunk, au.byteLength);
      const payload = new Uint8Array(AU_HEADERS_LENGTH + AU_HEADER + end - pos);
      writeHeaders(payload, [au.byteLength]);
      payload.set(au.subarray(pos, end), AU_HEADERS_LENGTH + AU_HEADER);
      out.push(this.packet(payload, ts, end === au.byteLength));
    }
  }

  private packet(payload: Uint8Array, timestamp: number, marker: boolean): RtpPacket {
    return {
      header: {
        marker,
        payloadType: this.payloadType,
        sequenceNumber: this.sequencer.nextSequenceNumber(),
        timestamp,
        ssrc: this.sequencer.ssrc,
        csrc: [],
        padding: false,
      },
      payload,
    };
  }
}

/** AU-headers-length in bits, then one 16-bit header per AU: size << 3 | index 0. */
function writeHeaders(payload: Uint8Array, sizes: readonly number[]): void {
  const bits = sizes.length * AU_HEADER * 8;
  payload[0] = bits >> 8;
  payload[1] = bits & 0xff;
  sizes.forEach((s, k) => {
    payload[AU_HEADERS_LENGTH + k * AU_HEADER] = s >> 5;
    payload[AU_HEADERS_LENGTH + k * AU_HEADER + 1] = (s & 0x1f) << 3;
  });
}
