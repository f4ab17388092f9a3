/**
 * NAL unit framings shared by H.264 and H.265:
 *  - Annex B byte stream (ITU-T H.264 Annex B / H.265 Annex B): `00 00 01` or `00 00 00 01`
 *    start codes before each NAL unit.
 *  - AVCC / HVCC (ISO/IEC 14496-15): each NAL unit prefixed by its length in 1, 2 or 4 bytes,
 *    as carried in FLV and MP4.
 * Splitting returns views into the input; joining allocates once.
 */
export class NalFramingError extends Error {
  constructor(readonly framing: 'annexb' | 'avcc', reason: string) {
    super(`${framing === 'annexb' ? 'Annex B' : 'AVCC'}: ${reason}`);
    this.name = 'NalFramingError';
  }
}

/** Position of the next `00 00 01` at or after `from`, or -1. */
function findStartCode(buf: Uint8Array, from: number): number {
  for (let i = from; i + 2 < buf.byteLength; i++) {
    if (buf[i + 2] > 1) {
      i += 2;
    } else if (buf[i] === 0 && buf[i + 1] === 0 && buf[i + 2] === 1) {
      return i;
    }
  }
  return -1;
}

/** Splits an Annex B byte stream into NAL units (views). Empty NAL units are skipped. */
export function splitAnnexB(buf: Uint8Array, maxNalus = 4096): Uint8Array[] {
  let start = findStartCode(buf, 0);
  if (start < 0) throw new NalFramingError('annexb', 'no start code');
  for (let i = 0; i < start; i++) {
    if (buf[i] !== 0) throw new NalFramingError('annexb', `${start} bytes before the first start code`);
  }
  const out: Uint8Array[] = [];
  while (start >= 0) {
    const begin = start + 3;
    const next = findStartCode(buf, begin);
    let end = next < 0 ? buf.byteLength : next;
    // trailing_zero_8bits and the leading zero of a 4-byte start code belong to no NAL unit.
    while (end > begin && buf[end - 1] === 0) end--;
    if (end > begin) {
      if (out.length >= maxNalus) throw new NalFramingError('annexb', `more than ${maxNalus} NAL units`);
      out.push(buf.subarray(begin, end));
    }
    start = next;
  }
  return out;
}

const START_CODE = new Uint8Array([0, 0, 0, 1]);

export function annexBByteLength(nalus: readonly Uint8Array[]): number {
  let n = 0;
  for (const nalu of nalus) n += START_CODE.byteLength + nalu.byteLength;
  return n;
}

/** Joins NAL units into an Annex B byte stream with 4-byte start codes. */
export function joinAnnexB(nalus: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(annexBByteLength(nalus));
  let pos = 0;
  for (const nalu of nalus) {
    out.set(START_CODE, pos);
    out.set(nalu, pos + START_CODE.byteLength);
    pos += START_CODE.byteLength + nalu.byteLength;
  }
  return out;
}

export type NalLengthSize = 1 | 2 | 4;

/** Splits length-prefixed NAL units (views); every length is checked against the buffer. */
export function splitAvcc(buf: Uint8Array, lengthSize: NalLengthSize = 4, maxNalus = 4096): Uint8Array[] {
  const out: Uint8Array[] = [];
  let pos = 0;
  while (pos < buf.byteLength) {
    if (pos + lengthSize > buf.byteLength) throw new NalFramingError('avcc', `truncated length at ${pos}`);
    let len = 0;
    for (let i = 0; i < lengthSize; i++) len = len * 256 + buf[pos + i];
    pos += lengthSize;
    if (len > buf.byteLength - pos) {
      throw new NalFramingError('avcc', `NAL unit of ${len} bytes at ${pos} overruns ${buf.byteLength - pos} remaining`);
    }
    if (len > 0) {
      if (out.length >= maxNalus) throw new NalFramingError('avcc', `more than ${maxNalus} NAL units`);
      out.push(buf.subarray(pos, pos + len));
    }
    pos += len;
  }
  return out;
}

/** Joins NAL units with `lengthSize`-byte big-endian length prefixes. */
export function joinAvcc(nalus: readonly Uint8Array[], lengthSize: NalLengthSize = 4): Uint8Array {
  let size = 0;
  for (const nalu of nalus) size += lengthSize + nalu.byteLength;
  const out = new Uint8Array(size);
  let pos = 0;
  for (const nalu of nalus) {
    const max = 2 ** (8 * lengthSize);
    if (nalu.byteLength >= max) throw new NalFramingError('avcc', `NAL unit of ${nalu.byteLength} bytes needs more than ${lengthSize} length bytes`);
    let len = nalu.byteLength;
    for (let i = lengthSize - 1; i >= 0; i--) {
      out[pos + i] = len & 0xff;
      len = Math.floor(len / 256);
    }
    out.set(nalu, pos + lengthSize);
    pos += lengthSize + nalu.byteLength;
  }
  return out;
}

/**
 * Removes emulation prevention bytes (`00 00 03` → `00 00`, H.264 §7.4.1) so the RBSP can be
 * read bit by bit. Returns the input itself when there is nothing to remove.
 */
export function nalToRbsp(nalu: Uint8Array): Uint8Array {
  let zeros = 0;
  let found = false;
  for (let i = 0; i < nalu.byteLength; i++) {
    if (zeros >= 2 && nalu[i] === 3) {
      found = true;
      break;
    }
    zeros = nalu[i] === 0 ? zeros + 1 : 0;
  }
  if (!found) return nalu;
  const out = new Uint8Array(nalu.byteLength);
  let n = 0;
  zeros = 0;
  for (let i = 0; i < nalu.byteLength; i++) {
    const b = nalu[i];
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    out[n++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, n);
}

/**
 * Inserts emulation prevention bytes (H.264 §7.4.1, H.265 §7.4.2): inside a NAL unit, `00 00`
 * followed by a byte of 0..3 becomes `00 00 03 xx`, so no start code appears in it.
 */
export function rbspToNal(rbsp: Uint8Array): Uint8Array {
  const out: number[] = [];
  let zeros = 0;
  for (const b of rbsp) {
    if (zeros >= 2 && b <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return Uint8Array.from(out);
}
