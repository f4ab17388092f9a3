/**
 * Typed readers for the attributes RTSP clients need: rtpmap and fmtp (RFC 8866 §6.6, §6.15)
 * and control (RFC 7826 §C.1.1 / RFC 2326 §C.1.1).
 */
import type { SdpAttribute, SdpMedia } from './session-description';
import { staticRtpMap } from './static-payload-types';

export interface RtpMap {
  payloadType: number;
  encoding: string;
  clockRate: number;
  /** Audio channels (the optional third field). */
  channels?: number;
}

export function getAttribute(attributes: readonly SdpAttribute[], name: string): string | undefined {
  const a = attributes.find((x) => x.name.toLowerCase() === name.toLowerCase());
  return a ? (a.value ?? '') : undefined;
}

/** `96 H264/90000`, `97 MPEG4-GENERIC/44100/2`. Undefined when malformed. */
export function parseRtpMap(value: string): RtpMap | undefined {
  const m = /^(\d+)\s+([^/\s]+)\/(\d+)(?:\/(\d+))?\s*$/.exec(value);
  if (!m) return undefined;
  const map: RtpMap = { payloadType: Number(m[1]), encoding: m[2], clockRate: Number(m[3]) };
  if (m[4] !== undefined) map.channels = Number(m[4]);
  return map;
}

/** `96 packetization-mode=1;profile-level-id=42e01f`: parameter names lowercased. */
export function parseFmtp(value: string): { payloadType: number; parameters: Map<string, string> } | undefined {
  const m = /^(\d+)\s*(.*)$/.exec(value.trim());
  if (!m) return undefined;
  const parameters = new Map<string, string>();
  for (const part of m[2].split(';')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq < 0) parameters.set(p.toLowerCase(), '');
    else parameters.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim());
  }
  return { payloadType: Number(m[1]), parameters };
}

export function formatFmtp(payloadType: number, parameters: ReadonlyArray<[string, string]>): string {
  return `${payloadType} ${parameters.map(([k, v]) => `${k}=${v}`).join(';')}`;
}

/** rtpmap of the media's first format with one, else undefined. */
export function mediaRtpMap(media: SdpMedia, payloadType = Number(media.formats[0])): RtpMap | undefined {
  for (const a of media.attributes) {
    if (a.name.toLowerCase() !== 'rtpmap' || a.value === undefined) continue;
    const map = parseRtpMap(a.value);
    if (map && map.payloadType === payloadType) return map;
  }
  return undefined;
}

/** The format of `payloadType`: its rtpmap, else the static assignment (RFC 3551 §6). */
export function mediaFormat(media: SdpMedia, payloadType = Number(media.formats[0])): RtpMap | undefined {
  return mediaRtpMap(media, payloadType) ?? (payloadType < 96 ? staticRtpMap(payloadType) : undefined);
}

export function mediaFmtp(media: SdpMedia, payloadType = Number(media.formats[0])): Map<string, string> | undefined {
  for (const a of media.attributes) {
    if (a.name.toLowerCase() !== 'fmtp' || a.value === undefined) continue;
    const f = parseFmtp(a.value);
    if (f && f.payloadType === payloadType) return f.parameters;
  }
  return undefined;
}
