import { seqDiff } from './sequence';
import { complete, DecodeResult, DepacketizerStats } from './decode-result';
import { unzeroedBytes } from './packet/buffer-slab';

/**
 * The codec-independent half of H.264 (RFC 6184) and H.265 (RFC 7798) depacketization:
 * sequence tracking, fragment reassembly, access unit boundaries and limits. Codec decoders
 * parse their payload formats into `NalPayload`s and hand them here.
 *
 * Access unit boundaries: the marker bit ends an AU (RFC 6184 §5.1, RFC 7798 §4.1); a new
 * RTP timestamp also ends the previous AU, for senders that never set the marker.
 */
export type NalPayload =
  | { kind: 'nalus'; nalus: Uint8Array[] }
  /** One fragment; `header` is the reconstructed NAL unit header, read from the start fragment only (NO_FU_HEADER on the others). */
  | { kind: 'fragment'; start: boolean; end: boolean; header: Uint8Array; data: Uint8Array };

/** The header of a fragment that does not start its NAL unit: unused, so not made per packet. */
export const NO_FU_HEADER: Uint8Array = new Uint8Array(0);

export interface NalAccessUnit {
  /** RTP timestamp of the access unit. */
  timestamp: number;
  /** NAL units without start codes. Single-NAL packets give views into the packet buffer. */
  nalus: Uint8Array[];
}

export interface NalDecoderLimits {
  /** Largest NAL unit accepted (after FU reassembly), bytes. Default 4 MiB. */
  maxNaluSize?: number;
  /** Most NAL units in one access unit. Default 128 (cameras slice frames into up to ~70). */
  maxNalusPerAccessUnit?: number;
  /** Largest access unit (sum of its NAL units), bytes. Default 8 MiB. */
  maxAccessUnitSize?: number;
}

export const DEFAULT_NAL_DECODER_LIMITS: Required<NalDecoderLimits> = {
  maxNaluSize: 4 * 1024 * 1024,
  maxNalusPerAccessUnit: 128,
  maxAccessUnitSize: 8 * 1024 * 1024,
};

/** Packets this far behind the last one are a sender restart, not a late packet. */
const MAX_LATE = 1000;

export class NalAssembler {
  readonly stats: DepacketizerStats = { lostPackets: 0, ignoredPackets: 0, droppedUnits: 0 };
  private readonly limits: Required<NalDecoderLimits>;
  private lastSeq: number | undefined;
  private auTimestamp = 0;
  private auNalus: Uint8Array[] = [];
  private auSize = 0;
  private auBroken = false;
  private fragments: Uint8Array[] | undefined;
  private fragmentSize = 0;
  /** The NAL unit being skipped was already counted as dropped. */
  private fragmentCounted = false;

  constructor(limits: NalDecoderLimits = {}) {
    this.limits = { ...DEFAULT_NAL_DECODER_LIMITS, ...limits };
  }

  /** Bytes held for incomplete NAL units and access units (bounded by the limits). */
  get bufferedBytes(): number {
    return this.auSize + this.fragmentSize;
  }

  /** Applies one parsed packet. Never throws: limit violations drop data and are counted. */
  push(sequenceNumber: number, timestamp: number, marker: boolean, payload: NalPayload): DecodeResult<NalAccessUnit> {
    if (this.lastSeq !== undefined) {
      const d = seqDiff(this.lastSeq, sequenceNumber);
      if (d <= 0 && d > -MAX_LATE) {
        this.stats.ignoredPackets++;
        return complete([]);
      }
      if (d > 1) {
        this.stats.lostPackets += d - 1;
        this.dropFragments();
      }
    }
    this.lastSeq = sequenceNumber;

    const out: NalAccessUnit[] = [];
    if (timestamp !== this.auTimestamp && (this.auNalus.length > 0 || this.auBroken || this.fragments)) {
      this.dropFragments();
      this.finish(out);
    }
    this.auTimestamp = timestamp;

    if (payload.kind === 'nalus') {
      for (const nalu of payload.nalus) this.addNalu(nalu);
    } else {
      this.addFragment(payload);
    }
    if (marker) {
      this.dropFragments();
      this.finish(out);
    }
    return complete(out);
  }

  private addFragment(f: Extract<NalPayload, { kind: 'fragment' }>): void {
    if (f.start) {
      // A new start while a NAL unit is open means its end was lost.
      this.dropFragments();
      this.fragmentCounted = false;
      if (f.end) {
        this.addNalu(concat([f.header, f.data], f.header.byteLength + f.data.byteLength));
        return;
      }
      this.fragments = [f.header, f.data];
      this.fragmentSize = f.header.byteLength + f.data.byteLength;
    } else {
      if (!this.fragments) {
        // Its start was lost: skip to the end fragment, counting the NAL unit once.
        if (!this.fragmentCounted) this.stats.droppedUnits++;
        this.fragmentCounted = !f.end;
        return;
      }
      this.fragments.push(f.data);
      this.fragmentSize += f.data.byteLength;
    }
    if (this.fragmentSize > this.limits.maxNaluSize) {
      this.dropFragments();
      return;
    }
    if (f.end) {
      const parts = this.fragments;
      const size = this.fragmentSize;
      this.fragments = undefined;
      this.fragmentSize = 0;
      this.addNalu(concat(parts, size));
    }
  }

  private addNalu(nalu: Uint8Array): void {
    if (this.auBroken) return;
    if (
      nalu.byteLength > this.limits.maxNaluSize ||
      this.auNalus.length >= this.limits.maxNalusPerAccessUnit ||
      this.auSize + nalu.byteLength > this.limits.maxAccessUnitSize
    ) {
      // Past a limit the access unit is unusable: drop it whole rather than deliver half.
      this.auBroken = true;
      this.auNalus = [];
      this.auSize = 0;
      return;
    }
    this.auNalus.push(nalu);
    this.auSize += nalu.byteLength;
  }

  private dropFragments(): void {
    if (this.fragments) {
      this.stats.droppedUnits++;
      this.fragmentCounted = true;
    }
    this.fragments = undefined;
    this.fragmentSize = 0;
  }

  private finish(out: NalAccessUnit[]): void {
    if (this.auBroken) this.stats.droppedUnits++;
    else if (this.auNalus.length > 0) out.push({ timestamp: this.auTimestamp, nalus: this.auNalus });
    this.auNalus = [];
    this.auSize = 0;
    this.auBroken = false;
  }
}

/**
 * Collect the parts, copy once (never concat per fragment). Every byte is written, so unzeroed;
 * pooled, as a NAL unit is copied into its access unit's packets and then dropped.
 */
function concat(parts: readonly Uint8Array[], size: number): Uint8Array {
  const out = unzeroedBytes(size, true);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.byteLength;
  }
  return out;
}
