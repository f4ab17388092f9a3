/**
 * NTP timestamps (RFC 3550 §4): 32.32 fixed point seconds since 1900-01-01.
 */
export const NTP_UNIX_EPOCH_OFFSET_S = 2_208_988_800;

export interface NtpTimestamp {
  /** Integer seconds since 1900 (most significant word). */
  seconds: number;
  /** Fraction of a second in units of 2^-32 (least significant word). */
  fraction: number;
}

export function ntpFromUnixMs(ms: number): NtpTimestamp {
  const totalSeconds = Math.floor(ms / 1000);
  const fraction = Math.floor(((ms - totalSeconds * 1000) / 1000) * 0x1_0000_0000);
  return { seconds: (totalSeconds + NTP_UNIX_EPOCH_OFFSET_S) >>> 0, fraction: Math.min(fraction, 0xffffffff) >>> 0 };
}

export function ntpToUnixMs(ntp: NtpTimestamp): number {
  return (ntp.seconds - NTP_UNIX_EPOCH_OFFSET_S) * 1000 + (ntp.fraction / 0x1_0000_0000) * 1000;
}

/** The middle 32 bits, as carried in the LSR field of report blocks (RFC 3550 §6.4.1). */
export function ntpMiddle32(ntp: NtpTimestamp): number {
  return (((ntp.seconds & 0xffff) << 16) | (ntp.fraction >>> 16)) >>> 0;
}
