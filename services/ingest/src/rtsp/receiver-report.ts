/**
 * The RTCP compound a receiver sends (RFC 3550 §6.1: every compound starts with SR or RR and
 * carries an SDES CNAME): RR (§6.4.2) + SDES with one CNAME chunk (§6.5, §6.5.1).
 *
 * SDES:  |V=2|P|   SC=1  |  PT=SDES=202  |            length             |
 *        |                         SSRC of sender                        |
 *        | CNAME=1       |    length     | user and domain name ...      |
 *        | END=0 | padding to a 32-bit boundary                          |
 */
import { RtcpPacketType, ReportBlock, receiverReportByteLength, writeReceiverReport } from '@streamgate/protocol-rtp';

const SDES_CNAME = 1;
const MAX_CNAME = 255;

function sdesByteLength(cname: Uint8Array): number {
  // header + SSRC + (type, length, text, END) rounded up to 4.
  return 4 + 4 + Math.ceil((2 + cname.byteLength + 1) / 4) * 4;
}

function writeSdes(ssrc: number, cname: Uint8Array, out: Uint8Array, offset: number): number {
  const size = sdesByteLength(cname);
  const view = new DataView(out.buffer, out.byteOffset + offset, size);
  view.setUint8(0, 0x80 | 1);
  view.setUint8(1, RtcpPacketType.SourceDescription);
  view.setUint16(2, size / 4 - 1);
  view.setUint32(4, ssrc >>> 0);
  view.setUint8(8, SDES_CNAME);
  view.setUint8(9, cname.byteLength);
  out.set(cname, offset + 10);
  // The END item and padding are zero octets; `out` is freshly allocated, so already zero.
  return offset + size;
}

/** RR (with `blocks`, at most 31) followed by SDES CNAME, in one buffer. */
export function buildReceiverReportCompound(ssrc: number, blocks: ReportBlock[], cname: string): Uint8Array {
  const text = new TextEncoder().encode(cname).subarray(0, MAX_CNAME);
  const rr = { ssrc, reports: blocks.slice(0, 31) };
  const out = new Uint8Array(receiverReportByteLength(rr) + sdesByteLength(text));
  const next = writeReceiverReport(rr, out, 0);
  writeSdes(ssrc, text, out, next);
  return out;
}
