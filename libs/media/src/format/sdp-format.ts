/**
 * The one reader of a source's SDP (a camera's DESCRIBE answer) into formats, and the writer
 * of formats into the SDP readers get. Which sections a source has that we carry, and why the
 * others are left out, is decided here only: ingest SETUPs exactly `tracks`, the packetizer
 * depacketizes exactly `tracks`.
 *
 * Per media section (RFC 8866 §5.14) the first payload type we can carry wins:
 *  - video H264 (RFC 6184 §8.1; packetization-mode 0 or 1) or H265 (RFC 7798 §7.1; no DONL);
 *  - audio MPEG4-GENERIC AAC-hbr / AAC-lbr with an AudioSpecificConfig (RFC 3640 §4.1);
 *  - payload types without an rtpmap take their static assignment (RFC 3551 §6).
 * Of those, the first video and the first audio section are carried (served); every other
 * section is listed in `unsupported` with a reason a person can act on.
 */
import { AudioSpecificConfigError, audioSpecificConfigHex, h264NalType, H264NalType, h265NalType, H265NalType, parseAudioSpecificConfig } from '@streamgate/codec';
import { formatFmtp, getAttribute, mediaFmtp, mediaFormat, parseSdp, RtpMap, SdpLimits, SdpMedia } from '@streamgate/protocol-sdp';
import type { Format, H264Format, H265Format, Mpeg4AudioFormat, ParameterSets, VideoCodecName } from './format';
import { VIDEO_CLOCK_RATE } from './format';

export interface SdpTrack {
  /** Index of the media section in the SDP (RtpBatchMessage.track). */
  index: number;
  /** The section's `a=control`, unresolved (the RTSP client resolves it against its base). */
  control: string | undefined;
  format: Format;
}

export interface UnsupportedTrack {
  index: number;
  media: string;
  /** Encoding name as the SDP spells it, upper case ("PCMA"), or the payload types. */
  codec: string;
  /** `PCMA/8000`, `payload 107`: the section in one word for a log line. */
  label: string;
  reason: string;
}

export interface SdpFormats {
  /** Session-level `a=control` (RFC 2326 §C.1.1), unresolved. */
  control: string | undefined;
  /** Carried tracks in SDP order: at most one video and one audio. */
  tracks: SdpTrack[];
  unsupported: UnsupportedTrack[];
}

type Candidate = { format: Format } | { reason: string };

/** Throws SdpParseError when the text is not SDP (or breaks the SDP limits). */
export function readSdpFormats(text: string, limits?: SdpLimits): SdpFormats {
  const sdp = parseSdp(text, limits);
  const out: SdpFormats = { control: getAttribute(sdp.attributes, 'control'), tracks: [], unsupported: [] };
  sdp.media.forEach((media, index) => {
    let reason = 'no payload type with a known format';
    let first: RtpMap | undefined;
    for (const pt of media.formats) {
      const map = /^\d{1,3}$/.test(pt) ? mediaFormat(media, Number(pt)) : undefined;
      if (!map) continue;
      first ??= map;
      const c = candidate(media, map);
      if ('reason' in c) {
        reason = c.reason;
        continue;
      }
      if (out.tracks.some((t) => t.format.media === c.format.media)) {
        reason = `another ${media.type} track is already carried`;
        break;
      }
      out.tracks.push({ index, control: getAttribute(media.attributes, 'control'), format: c.format });
      return;
    }
    out.unsupported.push({
      index, media: media.type, reason,
      codec: first ? first.encoding.toUpperCase() : media.formats.join(' '),
      label: first ? `${first.encoding}/${first.clockRate}` : `payload ${media.formats[0] ?? '?'}`,
    });
  });
  return out;
}

function candidate(media: SdpMedia, map: RtpMap): Candidate {
  const encoding = map.encoding.toUpperCase();
  if (!media.protocol.toUpperCase().startsWith('RTP/AVP')) return { reason: `transport ${media.protocol} (only RTP/AVP)` };
  const fmtp = mediaFmtp(media, map.payloadType) ?? new Map<string, string>();
  if (media.type === 'video' && encoding === 'H264') {
    const mode = Number(fmtp.get('packetization-mode') ?? '0');
    // Interleaved mode needs decoding order numbers we do not implement (RFC 6184 §6.4).
    if (mode > 1) return { reason: 'packetization-mode 2 (interleaved)' };
    const f: H264Format = { media: 'video', codec: 'H264', payloadType: map.payloadType, clockRate: map.clockRate, packetizationMode: mode, parameterSets: spropParameterSets('H264', fmtp) };
    return { format: f };
  }
  if (media.type === 'video' && encoding === 'H265') {
    if (Number(fmtp.get('sprop-max-don-diff') ?? '0') > 0) return { reason: 'sprop-max-don-diff > 0 (DONL)' };
    const f: H265Format = { media: 'video', codec: 'H265', payloadType: map.payloadType, clockRate: map.clockRate, parameterSets: spropParameterSets('H265', fmtp) };
    return { format: f };
  }
  if (media.type === 'audio' && encoding === 'MPEG4-GENERIC') return mpeg4Audio(map, fmtp);
  return { reason: `${encoding || 'payload'} is not supported` };
}

function mpeg4Audio(map: RtpMap, fmtp: Map<string, string>): Candidate {
  const mode = (fmtp.get('mode') ?? '').toLowerCase();
  if (mode !== 'aac-hbr' && mode !== 'aac-lbr') return { reason: `mode ${fmtp.get('mode') ?? '(none)'}` };
  const hex = fmtp.get('config') ?? '';
  if (!/^([0-9a-f]{2})+$/i.test(hex)) return { reason: 'no AudioSpecificConfig (config=)' };
  const asc = Uint8Array.from(Buffer.from(hex, 'hex'));
  let parsed;
  try {
    parsed = parseAudioSpecificConfig(asc);
  } catch (err) {
    if (err instanceof AudioSpecificConfigError) return { reason: err.message };
    throw err;
  }
  const hbr = mode === 'aac-hbr';
  // RFC 3640 §4.1: absent lengths are 0, but AAC-hbr/lbr fix them (§3.3.6, §3.3.5).
  const field = (name: string, fallback: number): number => {
    const v = Number(fmtp.get(name) ?? fallback);
    return Number.isInteger(v) && v >= 0 && v <= 16 ? v : fallback;
  };
  const sizeLength = field('sizelength', hbr ? 13 : 6);
  if (sizeLength === 0) return { reason: 'sizelength 0' };
  const f: Mpeg4AudioFormat = {
    media: 'audio', codec: 'MPEG4-GENERIC', payloadType: map.payloadType, clockRate: map.clockRate, asc, parsed,
    sizeLength, indexLength: field('indexlength', hbr ? 3 : 2), indexDeltaLength: field('indexdeltalength', hbr ? 3 : 2),
  };
  return { format: f };
}

const PARAMETER_SET_TYPES: Record<VideoCodecName, Array<[number, 'vps' | 'sps' | 'pps']>> = {
  H264: [[H264NalType.Sps, 'sps'], [H264NalType.Pps, 'pps']],
  H265: [[H265NalType.Vps, 'vps'], [H265NalType.Sps, 'sps'], [H265NalType.Pps, 'pps']],
};

/** sprop-parameter-sets (RFC 6184 §8.1) or sprop-vps/-sps/-pps (RFC 7798 §7.1): comma lists of base64 NAL units. */
function spropParameterSets(codec: VideoCodecName, fmtp: Map<string, string>): ParameterSets {
  const lists = codec === 'H264' ? [fmtp.get('sprop-parameter-sets')] : [fmtp.get('sprop-vps'), fmtp.get('sprop-sps'), fmtp.get('sprop-pps')];
  const typeOf = codec === 'H264' ? h264NalType : h265NalType;
  const sets: ParameterSets = {};
  for (const list of lists) {
    for (const b64 of (list ?? '').split(',')) {
      if (!/^[A-Za-z0-9+/=_-]+$/.test(b64.trim())) continue;
      const nalu = Uint8Array.from(Buffer.from(b64.trim(), 'base64'));
      if (nalu.byteLength < 2 || (nalu[0] & 0x80) !== 0) continue;
      const kind = PARAMETER_SET_TYPES[codec].find(([t]) => t === typeOf(nalu))?.[1];
      if (kind && !sets[kind]) sets[kind] = nalu;
    }
  }
  return sets;
}

const hex2 = (b: number): string => b.toString(16).padStart(2, '0');
const base64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');

/**
 * The media section readers get for a format we send: our payload type, our packetization
 * (H.264 mode 1, H.265 without DONL, AAC-hbr 13/3/3), the parameter sets in fmtp.
 */
export function formatToSdpMedia(format: Format, payloadType: number, control: string): SdpMedia {
  const attributes = [{ name: 'rtpmap', value: `${payloadType} ${rtpmapEncoding(format)}` }];
  const fmtp = fmtpParameters(format);
  if (fmtp.length > 0) attributes.push({ name: 'fmtp', value: formatFmtp(payloadType, fmtp) });
  attributes.push({ name: 'control', value: control });
  return { type: format.media, port: 0, protocol: 'RTP/AVP', formats: [String(payloadType)], bandwidths: [], attributes };
}

function rtpmapEncoding(format: Format): string {
  if (format.media === 'video') return `${format.codec}/${VIDEO_CLOCK_RATE}`;
  return `MPEG4-GENERIC/${format.clockRate}/${format.parsed.channels || 2}`;
}

function fmtpParameters(format: Format): Array<[string, string]> {
  const { vps, sps, pps } = format.media === 'video' ? format.parameterSets : {};
  switch (format.codec) {
    case 'H265': {
      const out: Array<[string, string]> = [];
      if (vps) out.push(['sprop-vps', base64(vps)]);
      if (sps) out.push(['sprop-sps', base64(sps)]);
      if (pps) out.push(['sprop-pps', base64(pps)]);
      return out;
    }
    case 'H264': {
      const out: Array<[string, string]> = [['packetization-mode', '1']];
      // profile-level-id is the three SPS bytes after the NAL header (RFC 6184 §8.1).
      if (sps && sps.byteLength >= 4) out.push(['profile-level-id', `${hex2(sps[1])}${hex2(sps[2])}${hex2(sps[3])}`]);
      if (sps && pps) out.push(['sprop-parameter-sets', `${base64(sps)},${base64(pps)}`]);
      return out;
    }
    case 'MPEG4-GENERIC':
      return [
        ['streamtype', '5'], ['profile-level-id', '1'], ['mode', 'AAC-hbr'], ['sizelength', '13'], ['indexlength', '3'], ['indexdeltalength', '3'],
        ['config', audioSpecificConfigHex(format.asc)],
      ];
  }
}
