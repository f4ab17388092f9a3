/**
 * MPEG-4 AAC RTP depacketizer, RFC 3640 mode AAC-hbr (§3.3.6): sizeLength 13, indexLength 3,
 * indexDeltaLength 3 by default; no auxiliary section, no interleaving.
 *
 *  +---------+-----------+-----------+---------------+
 *  | u16 AU-headers-length (bits) | AU-header(1) .. AU-header(n) | pad to byte | AU(1) .. AU(n)
 *  AU-header = AU-size (sizeLength bits) | AU-Index / AU-Index-delta (index bits)
 *
 * Several AUs in one packet get consecutive timestamps, `samplesPerFrame` apart (§3.2.3.2).
 * An AU larger than the packet is fragmented (§3.2.3.1): each fragment carries one AU-header
 * with the size of the WHOLE AU, all share the RTP timestamp, the marker is on the last one.
 */
import type { RtpPacket } from '../packet/rtp-packet';
import { complete, DecodeResult, DepacketizerStats } from '../decode-result';
import { seqDiff, wrapTimestamp } from '../sequence';
import { BitReader } from '@streamgate/codec';
import { AacDecodeError } from './errors';

export interface AacAccessUnit {
  /** RTP timestamp of this AU. */
  timestamp: number;
  /** Raw AAC frame. Unfragmented AUs are views into the packet. */
  data: Uint8Array;
}

export interface AacDecoderOptions {
  /** Default 13. */
  sizeLength?: number;
  /** Default 3. */
  indexLength?: number;
  /** Default 3. */
  indexDeltaLength?: number;
  /** RTP clock ticks per AU; 1024 for AAC-LC (960 with frameLengthFlag). Default 1024. */
  samplesPerFrame?: number;
  /** Largest AU accepted (fragments included), bytes. Default 64 KiB. */
  maxAuSize?: number;
  /** Most AUs in one packet. Default 128. */
  maxAusPerPacket?: number;
}

const AU_HEADERS_LENGTH = 2;
const MAX_LATE = 1000;

interface ParsedAacPayload {
  sizes: number[];
  data: Uint8Array;
}

export class AacDecoder {
  readonly stats: DepacketizerStats = { lostPackets: 0, ignoredPackets: 0, droppedUnits: 0 };
  private readonly sizeLength: number;
  private readonly indexLength: number;
  private readonly indexDeltaLength: number;
  private readonly samplesPerFrame: number;
  private readonly maxAuSize: number;
  private readonly maxAusPerPacket: number;
  private lastSeq: number | undefined;
  private fragment: { timestamp: number; size: number; parts: Uint8Array[]; received: number } | undefined;

  constructor(options: AacDecoderOptions = {}) {
    this.sizeLength = options.sizeLength ?? 13;
    this.indexLength = options.indexLength ?? 3;
    this.indexDeltaLength = options.indexDeltaLength ?? 3;
    this.samplesPerFrame = options.samplesPerFrame ?? 1024;
    this.maxAuSize = options.maxAuSize ?? 64 * 1024;
    this.maxAusPerPacket = options.maxAusPerPacket ?? 128;
  }

  /** Bytes held for an incomplete fragmented AU. */
  get bufferedBytes(): number {
    return this.fragment?.received ?? 0;
  }

  /** Feeds one packet; returns the AUs it completed. Throws AacDecodeError. */
  decode(packet: RtpPacket): DecodeResult<AacAccessUnit> {
    const { sequenceNumber: seq, timestamp, marker } = packet.header;
    const parsed = this.parse(packet.payload, seq);
    if (this.lastSeq !== undefined) {
      const d = seqDiff(this.lastSeq, seq);
      if (d <= 0 && d > -MAX_LATE) {
        this.stats.ignoredPackets++;
        return complete([]);
      }
      if (d > 1) {
        this.stats.lostPackets += d - 1;
        this.dropFragment();
      }
    }
    this.lastSeq = seq;

    const { sizes, data } = parsed;
    const total = sizes.reduce((a, b) => a + b, 0);
    if (sizes.length === 1 && (sizes[0] > data.byteLength || this.fragment)) {
      return complete(this.addFragment(sizes[0], data, timestamp, marker));
    }
    this.dropFragment();
    if (total > data.byteLength) throw new AacDecodeError(`AUs of ${total} bytes in ${data.byteLength} bytes of data`, seq);
    const out: AacAccessUnit[] = [];
    let pos = 0;
    sizes.forEach((size, i) => {
      out.push({ timestamp: wrapTimestamp(timestamp + i * this.samplesPerFrame), data: data.subarray(pos, pos + size) });
      pos += size;
    });
    return complete(out);
  }

  private addFragment(size: number, data: Uint8Array, timestamp: number, marker: boolean): AacAccessUnit[] {
    if (this.fragment && (this.fragment.timestamp !== timestamp || this.fragment.size !== size)) this.dropFragment();
    if (!this.fragment) {
      if (size > this.maxAuSize) {
        this.stats.droppedUnits++;
        return [];
      }
      this.fragment = { timestamp, size, parts: [], received: 0 };
    }
    const f = this.fragment;
    f.parts.push(data);
    f.received += data.byteLength;
    if (f.received > f.size) {
      this.dropFragment();
      return [];
    }
    if (f.received < f.size) {
      if (marker) this.dropFragment();
      return [];
    }
    this.fragment = undefined;
    const au = new Uint8Array(f.size);
    let pos = 0;
    for (const p of f.parts) {
      au.set(p, pos);
      pos += p.byteLength;
    }
    return [{ timestamp, data: au }];
  }

  private dropFragment(): void {
    if (this.fragment) this.stats.droppedUnits++;
    this.fragment = undefined;
  }

  private parse(payload: Uint8Array, seq: number): ParsedAacPayload {
    if (payload.byteLength < AU_HEADERS_LENGTH) throw new AacDecodeError('payload shorter than AU-headers-length', seq);
    const headersBits = (payload[0] << 8) | payload[1];
    const headersBytes = Math.ceil(headersBits / 8);
    if (headersBits === 0) throw new AacDecodeError('no AU headers', seq);
    if (AU_HEADERS_LENGTH + headersBytes > payload.byteLength) throw new AacDecodeError(`AU headers of ${headersBits} bits overrun the packet`, seq);
    const r = new BitReader(payload.subarray(AU_HEADERS_LENGTH, AU_HEADERS_LENGTH + headersBytes));
    const sizes: number[] = [];
    let bitsLeft = headersBits;
    while (bitsLeft > 0) {
      const headerBits = this.sizeLength + (sizes.length === 0 ? this.indexLength : this.indexDeltaLength);
      if (bitsLeft < headerBits) throw new AacDecodeError(`${bitsLeft} stray bits in the AU headers`, seq);
      const size = r.bits(this.sizeLength);
      r.skip(headerBits - this.sizeLength);
      bitsLeft -= headerBits;
      if (size === 0) throw new AacDecodeError('AU of size 0', seq);
      if (sizes.length >= this.maxAusPerPacket) throw new AacDecodeError(`more than ${this.maxAusPerPacket} AUs`, seq);
      sizes.push(size);
    }
    return { sizes, data: payload.subarray(AU_HEADERS_LENGTH + headersBytes) };
  }
}
