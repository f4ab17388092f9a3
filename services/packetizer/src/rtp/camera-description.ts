/**
 * Reads a camera's SDP (from DESCRIBE) into the tracks the packetizer can carry: the first
 * H.264 (RFC 6184 §8.1) or H.265 (RFC 7798 §7.1) video section and the first MPEG4-GENERIC
 * AAC (RFC 3640 §4.1) audio section. Everything else is listed as unsupported, with why.
 * Track numbers are the media section indexes (RtpBatchMessage.track).
 */
import {
  AudioSpecificConfigError, parseAudioSpecificConfig,
} from '@streamgate/protocol-rtp';
import { mediaFmtp, mediaFormat, parseSdp, RtpMap, SdpMedia } from '@streamgate/protocol-sdp';
import type { AudioConfig, VideoCodecName } from '../media/track-config';
import { ParameterSetKind, videoCodec } from '../media/video-codec';

export interface CameraVideoTrack {
  input: number;
  codec: VideoCodecName;
  payloadType: number;
  clockRate: number;
  /** From sprop-parameter-sets / sprop-vps/sps/pps; views are copied later. */
  parameterSets: Partial<Record<ParameterSetKind, Uint8Array>>;
}

export interface CameraAudioTrack {
  input: number;
  payloadType: number;
  clockRate: number;
  config: AudioConfig;
  /** RFC 3640 §4.1 AU-header field sizes of the camera's packets. */
  sizeLength: number;
  indexLength: number;
  indexDeltaLength: number;
}

export interface UnsupportedTrack {
  index: number;
  media: string;
  codec: string;
  reason: string;
}

export interface CameraDescription {
  video?: CameraVideoTrack;
  audio?: CameraAudioTrack;
  unsupported: UnsupportedTrack[];
}

type Candidate = { video: CameraVideoTrack } | { audio: CameraAudioTrack } | { reason: string };

/** Throws SdpParseError when the text is not SDP at all. */
export function describeCamera(text: string): CameraDescription {
  const sdp = parseSdp(text);
  const out: CameraDescription = { unsupported: [] };
  sdp.media.forEach((media, index) => {
    let reason = 'no supported format';
    let codec = '';
    for (const format of media.formats) {
      const pt = Number(format);
      const map = Number.isInteger(pt) ? mediaFormat(media, pt) : undefined;
      if (!map) continue;
      codec ||= map.encoding;
      const c = candidate(media, index, map);
      if ('reason' in c) {
        reason = c.reason;
        continue;
      }
      if ('video' in c && !out.video) out.video = c.video;
      else if ('audio' in c && !out.audio) out.audio = c.audio;
      else out.unsupported.push({ index, media: media.type, codec: map.encoding.toUpperCase(), reason: `another ${media.type} track is already carried` });
      return;
    }
    out.unsupported.push({ index, media: media.type, codec: codec.toUpperCase() || media.formats.join(' '), reason });
  });
  return out;
}

function candidate(media: SdpMedia, index: number, map: RtpMap): Candidate {
  const encoding = map.encoding.toUpperCase();
  const fmtp = mediaFmtp(media, map.payloadType) ?? new Map<string, string>();
  if (media.type === 'video' && (encoding === 'H264' || encoding === 'H265')) {
    // Interleaved modes need decoding order numbers we do not implement.
    if (encoding === 'H264' && Number(fmtp.get('packetization-mode') ?? '0') > 1) return { reason: 'packetization-mode 2 (interleaved)' };
    if (encoding === 'H265' && Number(fmtp.get('sprop-max-don-diff') ?? '0') > 0) return { reason: 'sprop-max-don-diff > 0 (DONL)' };
    return { video: { input: index, codec: encoding, payloadType: map.payloadType, clockRate: map.clockRate, parameterSets: parameterSets(encoding, fmtp) } };
  }
  if (media.type === 'audio' && encoding === 'MPEG4-GENERIC') {
    const mode = (fmtp.get('mode') ?? '').toLowerCase();
    if (mode !== 'aac-hbr' && mode !== 'aac-lbr') return { reason: `mode ${fmtp.get('mode') ?? '(none)'}` };
    const hex = fmtp.get('config') ?? '';
    if (!/^([0-9a-f]{2})+$/i.test(hex)) return { reason: 'no AudioSpecificConfig (config=)' };
    let parsed;
    try {
      parsed = parseAudioSpecificConfig(Uint8Array.from(Buffer.from(hex, 'hex')));
    } catch (err) {
      if (err instanceof AudioSpecificConfigError) return { reason: err.message };
      throw err;
    }
    const hbr = mode === 'aac-hbr';
    const field = (name: string, fallback: number): number => {
      const v = Number(fmtp.get(name) ?? fallback);
      return Number.isInteger(v) && v >= 0 && v <= 16 ? v : fallback;
    };
    const sizeLength = field('sizelength', hbr ? 13 : 6);
    if (sizeLength === 0) return { reason: 'sizelength 0' };
    return {
      audio: {
        input: index, payloadType: map.payloadType, clockRate: map.clockRate,
        config: { asc: Uint8Array.from(Buffer.from(hex, 'hex')), parsed, clockRate: map.clockRate },
        sizeLength, indexLength: field('indexlength', hbr ? 3 : 2), indexDeltaLength: field('indexdeltalength', hbr ? 3 : 2),
      },
    };
  }
  return { reason: `${encoding} is not supported` };
}

/** sprop-parameter-sets (RFC 6184 §8.1) or sprop-vps/-sps/-pps (RFC 7798 §7.1): comma lists of base64 NAL units. */
function parameterSets(encoding: VideoCodecName, fmtp: Map<string, string>): Partial<Record<ParameterSetKind, Uint8Array>> {
  const codec = videoCodec(encoding);
  const lists = encoding === 'H264' ? [fmtp.get('sprop-parameter-sets')] : [fmtp.get('sprop-vps'), fmtp.get('sprop-sps'), fmtp.get('sprop-pps')];
  const sets: Partial<Record<ParameterSetKind, Uint8Array>> = {};
  for (const list of lists) {
    for (const b64 of (list ?? '').split(',')) {
      if (!/^[A-Za-z0-9+/=_-]+$/.test(b64.trim())) continue;
      const nalu = Uint8Array.from(Buffer.from(b64.trim(), 'base64'));
      if (nalu.byteLength < 2 || (nalu[0] & 0x80) !== 0) continue;
      const kind = codec.parameterSetKind(nalu);
      if (kind && !sets[kind]) sets[kind] = nalu;
    }
  }
  return sets;
}
