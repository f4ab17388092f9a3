import { REPORT_BLOCK_SIZE, ReportBlock, readReportBlock, writeReportBlock } from './report-block';
import { RTCP_HEADER_SIZE, RtcpPacketType, readRtcpHeader, rtcpBody, writeRtcpHeader } from './rtcp-header';
import { RtcpError } from './rtcp-errors';

/**
 * Receiver Report, RFC 3550 §6.4.2:
 *
 * header |V=2|P|    RC   |   PT=RR=201   |             length            |
 *        |                     SSRC of packet sender                     |
 * report blocks (RC × 24 bytes)
 */
export interface ReceiverReport {
  ssrc: number;
  reports: ReportBlock[];
}

export function receiverReportByteLength(rr: ReceiverReport): number {
  return RTCP_HEADER_SIZE + 4 + rr.reports.length * REPORT_BLOCK_SIZE;
}

export function writeReceiverReport(rr: ReceiverReport, out: Uint8Array, offset = 0): number {
  const size = receiverReportByteLength(rr);
  if (out.byteLength - offset < size) throw new RtcpError('output buffer too small');
  const view = new DataView(out.buffer, out.byteOffset + offset, size);
  writeRtcpHeader(view, 0, rr.reports.length, RtcpPacketType.ReceiverReport, size);
  view.setUint32(4, rr.ssrc >>> 0);
  rr.reports.forEach((block, i) => writeReportBlock(view, 8 + i * REPORT_BLOCK_SIZE, block));
  return offset + size;
}

export function buildReceiverReport(rr: ReceiverReport): Uint8Array {
  const out = new Uint8Array(receiverReportByteLength(rr));
  writeReceiverReport(rr, out, 0);
  return out;
}

export function parseReceiverReport(packet: Uint8Array): ReceiverReport {
  const header = readRtcpHeader(packet);
  if (header.packetType !== RtcpPacketType.ReceiverReport) throw new RtcpError(`packet type ${header.packetType} is not RR`);
  if (header.byteLength !== packet.byteLength) throw new RtcpError(`length field ${header.byteLength} != ${packet.byteLength} bytes`);
  const body = rtcpBody(packet, header);
  const need = 4 + header.count * REPORT_BLOCK_SIZE;
  if (body.byteLength < need) throw new RtcpError(`RR with ${header.count} blocks needs ${need} body bytes, has ${body.byteLength}`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const reports: ReportBlock[] = [];
  for (let i = 0; i < header.count; i++) reports.push(readReportBlock(view, 4 + i * REPORT_BLOCK_SIZE));
  return { ssrc: view.getUint32(0), reports };
}
