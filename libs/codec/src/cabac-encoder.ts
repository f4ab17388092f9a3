/**
 * The CABAC arithmetic encoding engine (H.264 §9.3.4, the same engine H.265 §9.3 decodes):
 * context-coded decisions, terminating bins and the flush, written MSB first into a BitWriter.
 * Only what a skipped picture needs: no bypass bins.
 */
import { BitWriter } from './bit-writer';

/** rangeTabLPS[pStateIdx][qCodIRangeIdx] (H.264 Table 9-44, H.265 Table 9-52). */
const RANGE_TAB_LPS: readonly (readonly number[])[] = [
  [128, 176, 208, 240], [128, 167, 197, 227], [128, 158, 187, 216], [123, 150, 178, 205], [116, 142, 169, 195], [111, 135, 160, 185],
  [105, 128, 152, 175], [100, 122, 144, 166], [95, 116, 137, 158], [90, 110, 130, 150], [85, 104, 123, 142], [81, 99, 117, 135],
  [77, 94, 111, 128], [73, 89, 105, 122], [69, 85, 100, 116], [66, 80, 95, 110], [62, 76, 90, 104], [59, 72, 86, 99],
  [56, 69, 81, 94], [53, 65, 77, 89], [51, 62, 73, 85], [48, 59, 69, 80], [46, 56, 66, 76], [43, 53, 63, 72],
  [41, 50, 59, 69], [39, 48, 56, 65], [37, 45, 54, 62], [35, 43, 51, 59], [33, 41, 48, 56], [32, 39, 46, 53],
  [30, 37, 43, 50], [29, 35, 41, 48], [27, 33, 39, 45], [26, 31, 37, 43], [24, 30, 35, 41], [23, 28, 33, 39],
  [22, 27, 32, 37], [21, 26, 30, 35], [20, 24, 29, 33], [19, 23, 27, 31], [18, 22, 26, 30], [17, 21, 25, 28],
  [16, 20, 23, 27], [15, 19, 22, 25], [14, 18, 21, 24], [14, 17, 20, 23], [13, 16, 19, 22], [12, 15, 18, 21],
  [12, 14, 17, 20], [11, 14, 16, 19], [11, 13, 15, 18], [10, 12, 15, 17], [10, 12, 14, 16], [9, 11, 13, 15],
  [9, 11, 12, 14], [8, 10, 12, 14], [8, 9, 11, 13], [7, 9, 11, 12], [7, 9, 10, 12], [7, 8, 10, 11],
  [6, 8, 9, 11], [6, 7, 9, 10], [6, 7, 8, 9], [2, 2, 2, 2],
];

/** transIdxLps[pStateIdx] (Table 9-45 / 9-53); transIdxMps is pStateIdx + 1, capped at 62. */
const TRANS_IDX_LPS = [
  0, 0, 1, 2, 2, 4, 4, 5, 6, 7, 8, 9, 9, 11, 11, 12, 13, 13, 15, 15, 16, 16, 18, 18, 19, 19, 21, 21, 22, 22, 23, 24,
  24, 25, 26, 26, 27, 27, 28, 29, 29, 30, 30, 30, 31, 32, 32, 33, 33, 33, 34, 34, 35, 35, 35, 36, 36, 36, 37, 37, 37, 38, 38, 63,
];

export interface CabacContext {
  pStateIdx: number;
  valMps: number;
}

/** A context variable from its initValue at SliceQpY (H.265 §9.3.2.2, equations 9-4 to 9-6). */
export function cabacContext(initValue: number, sliceQpY: number): CabacContext {
  const m = (initValue >> 4) * 5 - 45;
  const n = ((initValue & 15) << 3) - 16;
  const qp = Math.min(51, Math.max(0, sliceQpY));
  const pre = Math.min(126, Math.max(1, ((m * qp) >> 4) + n));
  return pre <= 63 ? { pStateIdx: 63 - pre, valMps: 0 } : { pStateIdx: pre - 64, valMps: 1 };
}

export class CabacEncoder {
  private low = 0;
  private range = 510;
  private firstBit = true;
  private outstanding = 0;

  /** Writes into `out` from its current position (the slice data starts byte-aligned). */
  constructor(private readonly out: BitWriter) {}

  /** §9.3.4.2: one context-coded bin. */
  decision(ctx: CabacContext, bin: number): void {
    const lps = RANGE_TAB_LPS[ctx.pStateIdx][(this.range >> 6) & 3];
    this.range -= lps;
    if (bin !== ctx.valMps) {
      this.low += this.range;
      this.range = lps;
      if (ctx.pStateIdx === 0) ctx.valMps = 1 - ctx.valMps;
      ctx.pStateIdx = TRANS_IDX_LPS[ctx.pStateIdx];
    } else {
      ctx.pStateIdx = Math.min(ctx.pStateIdx + 1, 62);
    }
    this.renormalize();
  }

  /** §9.3.4.5: a bin before termination (end_of_slice_segment_flag); 1 also flushes. */
  terminate(bin: number): void {
    this.range -= 2;
    if (bin) {
      this.low += this.range;
      this.range = 2;
      this.renormalize();
      this.putBit((this.low >> 9) & 1);
      // The last of the two bits is 1: it is the rbsp_stop_one_bit.
      this.out.bits(2, ((this.low >> 7) & 3) | 1);
    } else {
      this.renormalize();
    }
  }

  private renormalize(): void {
    while (this.range < 256) {
      if (this.low < 256) {
        this.putBit(0);
      } else if (this.low >= 512) {
        this.low -= 512;
        this.putBit(1);
      } else {
        this.low -= 256;
        this.outstanding++;
      }
      this.range <<= 1;
      this.low <<= 1;
    }
  }

  private putBit(b: number): void {
    if (this.firstBit) this.firstBit = false;
    else this.out.bit(b);
    for (; this.outstanding > 0; this.outstanding--) this.out.bit(1 - b);
  }
}
