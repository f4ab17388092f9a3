/**
 * The three RTP header fields the fan-out needs (RFC 3550 §5.1: sequence number at bytes 2-3,
 * timestamp 4-7, SSRC 8-11), read in place on the hot path without parsing the packet.
 */
export const RTP_MIN_HEADER = 12;

export function rtpSequenceNumber(packet: Uint8Array): number {
  return (packet[2] << 8) | packet[3];
}

export function rtpTimestamp(packet: Uint8Array): number {
  return ((packet[4] << 24) | (packet[5] << 16) | (packet[6] << 8) | packet[7]) >>> 0;
}

export function rtpSsrc(packet: Uint8Array): number {
  return ((packet[8] << 24) | (packet[9] << 16) | (packet[10] << 8) | packet[11]) >>> 0;
}

/** RFC 3550 §A.1 style 16-bit comparison: whether `a` comes after `b`, modulo wrap. */
export function sequenceIsNewer(a: number, b: number): boolean {
  const d = (a - b) & 0xffff;
  return d !== 0 && d < 0x8000;
}
