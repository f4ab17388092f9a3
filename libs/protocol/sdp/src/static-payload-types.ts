/**
 * Static RTP payload types (RFC 3551 §6, Tables 4 and 5): an `m=` line may name them without an
 * `a=rtpmap`. Dynamic types (96-127) always need an rtpmap.
 */
import type { RtpMap } from './media-attributes';

const STATIC: Record<number, [string, number, number?]> = {
  0: ['PCMU', 8000, 1], 3: ['GSM', 8000, 1], 4: ['G723', 8000, 1], 5: ['DVI4', 8000, 1], 6: ['DVI4', 16000, 1],
  7: ['LPC', 8000, 1], 8: ['PCMA', 8000, 1], 9: ['G722', 8000, 1], 10: ['L16', 44100, 2], 11: ['L16', 44100, 1],
  12: ['QCELP', 8000, 1], 13: ['CN', 8000, 1], 14: ['MPA', 90000], 15: ['G728', 8000, 1], 16: ['DVI4', 11025, 1],
  17: ['DVI4', 22050, 1], 18: ['G729', 8000, 1], 25: ['CelB', 90000], 26: ['JPEG', 90000], 28: ['nv', 90000],
  31: ['H261', 90000], 32: ['MPV', 90000], 33: ['MP2T', 90000], 34: ['H263', 90000],
};

export function staticRtpMap(payloadType: number): RtpMap | undefined {
  const s = STATIC[payloadType];
  if (!s) return undefined;
  const map: RtpMap = { payloadType, encoding: s[0], clockRate: s[1] };
  if (s[2] !== undefined) map.channels = s[2];
  return map;
}
