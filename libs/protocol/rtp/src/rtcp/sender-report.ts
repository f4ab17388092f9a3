import { NtpTimestamp } from './ntp-time';
import { REPORT_BLOCK_SIZE, ReportBlock, readReportBlock, writeReportBlock } from './report-block';
import { RTCP_HEADER_SIZE, RtcpPacketType, readRtcpHeader, rtcpBody, writeRtcpHeader } from './rtcp-header';
import { RtcpError } from './rtcp-errors';

/**
 * Sender Report, RFC 3550 §6.4.1:
 *
 * header |V=2|P|    RC   |   PT=SR=200   |             length            |
 *        |                         SSRC of sender                        |
 * sender |              NTP timestamp, most significant word             |
 * info   |             NTP timestamp, least significant word             |
 *        |                         RTP timestamp                         |
 *        |                     sender's packet count                     |
 *        |                      sender's octet count                     |
 * report blocks (RC × 24 bytes), then optional profile-specific extensions
 */
export const SENDER_INFO_SIZE = 24;

export interface SenderReport {
  ssrc: number;
  ntp: NtpTimestamp;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  reports: ReportBlock[];
}

export function senderReportByteLength(sr: SenderReport): number {
  return RTCP_HEADER_SIZE + SENDER_INFO_SIZE + sr.reports.length * REPORT_BLOCK_SIZE;
}

export function writeSenderReport(sr: SenderReport, out: Uint8Array, offset = 0): number {
  const size = senderReportByteLength(sr);
  if (out.byteLength - offset < size) throw new RtcpError('output buffer too small');
  const view = new DataView(out.buffer, out.byteOffset + offset, size);
  writeRtcpHeader(view, 0, sr.reports.length, RtcpPacketType.SenderReport, size);
  view.setUint32(4, sr.ssrc >>> 0);
  view.setUint32(8, sr.ntp.seconds >>> 0);
  view.setUint32(12, sr.ntp.fraction >>> 0);
  view.setUint32(16, sr.rtpTimestamp >>> 0);
  view.setUint32(20, sr.packetCount >>> 0);
  view.setUint32(24, sr.octetCount >>> 0);
  sr.reports.forEach((block, i) => writeReportBlock(view, 28 + i * REPORT_BLOCK_SIZE, block));
  return offset + size;
}

export function buildSenderReport(sr: SenderReport): Uint8Array {
  const out = new Uint8Array(senderReportByteLength(sr));
  writeSenderReport(sr, out, 0);
  return out;
}

/** Parses one SR packet (not a compound; split first). */
export function parseSenderReport(packet: Uint8Array): SenderReport {
  const header = readRtcpHeader(packet);
  if (header.packetType !== RtcpPacketType.SenderReport) throw new RtcpError(`packet type ${header.packetType} is not SR`);
  if (header.byteLength !== packet.byteLength) throw new RtcpError(`length field ${header.byteLength} != ${packet.byteLength} bytes`);
  const body = rtcpBody(packet, header);
  const need = SENDER_INFO_SIZE + header.count * REPORT_BLOCK_SIZE;
  if (body.byteLength < need) throw new RtcpError(`SR with ${header.count} blocks needs ${need} body bytes, has ${body.byteLength}`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const reports: ReportBlock[] = [];
  for (let i = 0; i < header.count; i++) reports.push(readReportBlock(view, 24 + i * REPORT_BLOCK_SIZE));
  return {
    ssrc: view.getUint32(0),
    ntp: { seconds: view.getUint32(4), fraction: view.getUint32(8) },
    rtpTimestamp: view.getUint32(12),
    packetCount: view.getUint32(16),
    octetCount: view.getUint32(20),
    reports,
  };
}
