/**
 * Splits AVCC sample data (ISO/IEC 14496-15 §5.3.4.2: each NAL unit prefixed by its
 * big-endian length of `lengthSize` bytes, 1, 2 or 4) into NAL unit views.
 */
import { FlvError } from './flv-error';

export interface SplitAvccOptions {
  /** Most NAL units accepted in one sample. Default 1024. */
  maxNalus?: number;
}

export function splitAvccNalus(data: Uint8Array, lengthSize: number, options: SplitAvccOptions = {}): Uint8Array[] {
  if (lengthSize !== 1 && lengthSize !== 2 && lengthSize !== 4) throw new FlvError(`invalid NALU length size ${lengthSize}`);
  const maxNalus = options.maxNalus ?? 1024;
  const out: Uint8Array[] = [];
  let o = 0;
  while (o < data.byteLength) {
    if (o + lengthSize > data.byteLength) throw new FlvError(`truncated NALU length at byte ${o}`);
    let len = 0;
    for (let i = 0; i < lengthSize; i++) len = len * 256 + data[o + i];
    o += lengthSize;
    if (len > data.byteLength - o) throw new FlvError(`NALU of ${len} bytes at byte ${o} exceeds the ${data.byteLength - o} left`);
    if (out.length >= maxNalus) throw new FlvError(`more than ${maxNalus} NAL units in one sample`);
    out.push(data.subarray(o, o + len));
    o += len;
  }
  return out;
}
