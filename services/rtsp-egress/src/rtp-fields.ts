/**
 * The two RTP header fields the fan-out needs (RFC 3550 §5.1: sequence number at bytes 2-3,
 * SSRC 8-11), read in place on the hot path without parsing the packet. Comparisons of
 * sequence numbers go through `@streamgate/protocol-rtp` (sequence.ts).
 */
export function rtpSequenceNumber(packet: Uint8Array): number {
  return (packet[2] << 8) | packet[3];
}

export function rtpSsrc(packet: Uint8Array): number {
  return ((packet[8] << 24) | (packet[9] << 16) | (packet[10] << 8) | packet[11]) >>> 0;
}
