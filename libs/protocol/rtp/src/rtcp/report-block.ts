import { RtcpError } from './rtcp-errors';

/**
 * Reception report block, RFC 3550 §6.4.1 (24 bytes):
 *
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |                 SSRC_1 (SSRC of first source)                 |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | fraction lost |       cumulative number of packets lost       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           extended highest sequence number received           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                      interarrival jitter                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         last SR (LSR)                         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   delay since last SR (DLSR)                  |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 */
export const REPORT_BLOCK_SIZE = 24;

export interface ReportBlock {
  ssrc: number;
  /** Fraction lost since the previous report, in 1/256 units (0..255). */
  fractionLost: number;
  /** Signed 24-bit cumulative loss (duplicates can make it negative). */
  cumulativeLost: number;
  extendedHighestSequence: number;
  jitter: number;
  lastSenderReport: number;
  delaySinceLastSenderReport: number;
}

export function readReportBlock(view: DataView, offset: number): ReportBlock {
  const lostWord = view.getUint32(offset + 4);
  const lost24 = lostWord & 0xffffff;
  return {
    ssrc: view.getUint32(offset),
    fractionLost: lostWord >>> 24,
    cumulativeLost: lost24 & 0x800000 ? lost24 - 0x1000000 : lost24,
    extendedHighestSequence: view.getUint32(offset + 8),
    jitter: view.getUint32(offset + 12),
    lastSenderReport: view.getUint32(offset + 16),
    delaySinceLastSenderReport: view.getUint32(offset + 20),
  };
}

export function writeReportBlock(view: DataView, offset: number, block: ReportBlock): void {
  if (block.fractionLost < 0 || block.fractionLost > 255) throw new RtcpError(`fraction lost ${block.fractionLost} out of range`);
  if (block.cumulativeLost < -0x800000 || block.cumulativeLost > 0x7fffff) {
    throw new RtcpError(`cumulative lost ${block.cumulativeLost} out of range`);
  }
  view.setUint32(offset, block.ssrc >>> 0);
  view.setUint32(offset + 4, ((block.fractionLost << 24) | (block.cumulativeLost & 0xffffff)) >>> 0);
  view.setUint32(offset + 8, block.extendedHighestSequence >>> 0);
  view.setUint32(offset + 12, block.jitter >>> 0);
  view.setUint32(offset + 16, block.lastSenderReport >>> 0);
  view.setUint32(offset + 20, block.delaySinceLastSenderReport >>> 0);
}
