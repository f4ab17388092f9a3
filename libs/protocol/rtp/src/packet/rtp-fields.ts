/**
 * RTP fixed-header fields read or written in place on the hot path, without parsing the packet
 * (RFC 3550 §5.1: sequence number at bytes 2-3, timestamp 4-7, SSRC 8-11). The caller knows the
 * bytes are an RTP packet (ours, or one that parseRtpPacket accepted). Comparisons of sequence
 * numbers and timestamps go through sequence.ts.
 */
export function rtpSequenceNumber(packet: Uint8Array): number {
  return (packet[2] << 8) | packet[3];
}

export function rtpTimestamp(packet: Uint8Array): number {
  return ((packet[4] << 24) | (packet[5] << 16) | (packet[6] << 8) | packet[7]) >>> 0;
}

export function rtpSsrc(packet: Uint8Array): number {
  return ((packet[8] << 24) | (packet[9] << 16) | (packet[10] << 8) | packet[11]) >>> 0;
}

/** Rewrites the timestamp of a serialized packet (no allocation). */
export function setRtpTimestamp(packet: Uint8Array, timestamp: number): void {
  const ts = timestamp >>> 0;
  packet[4] = ts >>> 24;
  packet[5] = (ts >>> 16) & 0xff;
  packet[6] = (ts >>> 8) & 0xff;
  packet[7] = ts & 0xff;
}
