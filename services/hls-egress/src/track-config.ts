/**
 * What the init segment and the multivariant playlist need to know about each track, read from
 * the packetizer's description (SDP: RFC 6184 §8.1 sprop-parameter-sets, RFC 7798 §7.1
 * sprop-vps/sps/pps, RFC 3640 §4.1 config) and updated from in-band parameter sets.
 */
import type { StreamDescription, TrackDescription } from '@streamgate/contracts';
import {
  AvcConfig, HevcConfig, TrackInit, aacCodecString, avcCodecString, hevcCodecString,
} from '@streamgate/protocol-fmp4';
import { parseAudioSpecificConfig, parseH264Sps, parseH265Sps, AudioSpecificConfig } from '@streamgate/codec';
import { mediaFmtp, parseSdp } from '@streamgate/protocol-sdp';

export interface VideoParameterSets {
  vps?: Uint8Array;
  sps?: Uint8Array;
  pps?: Uint8Array;
}

export interface AudioTrackConfig {
  track: TrackDescription;
  asc: Uint8Array;
  parsed: AudioSpecificConfig;
}

export interface StreamTracks {
  video?: { track: TrackDescription; codec: 'H264' | 'H265'; params: VideoParameterSets };
  audio?: AudioTrackConfig;
}

const fromBase64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

/** Tracks HLS can carry (H.264/H.265 video, AAC audio); others are left out. */
export function readStreamTracks(description: StreamDescription): StreamTracks {
  const sdp = parseSdp(description.sdp);
  const out: StreamTracks = {};
  description.tracks.forEach((track) => {
    const media = sdp.media.find((m) => m.attributes.some((a) => a.name === 'control' && a.value === `trackID=${track.id}`)) ?? sdp.media[track.id];
    const fmtp = media ? mediaFmtp(media, track.payloadType) ?? new Map<string, string>() : new Map<string, string>();
    if (track.media === 'video' && !out.video && (track.codec === 'H264' || track.codec === 'H265')) {
      const params: VideoParameterSets = {};
      if (track.codec === 'H264') {
        const [sps, pps] = (fmtp.get('sprop-parameter-sets') ?? '').split(',');
        if (sps) params.sps = fromBase64(sps);
        if (pps) params.pps = fromBase64(pps);
      } else {
        const vps = fmtp.get('sprop-vps');
        const sps = fmtp.get('sprop-sps');
        const pps = fmtp.get('sprop-pps');
        if (vps) params.vps = fromBase64(vps);
        if (sps) params.sps = fromBase64(sps);
        if (pps) params.pps = fromBase64(pps);
      }
      out.video = { track, codec: track.codec, params };
    } else if (track.media === 'audio' && !out.audio && track.codec === 'MPEG4-GENERIC') {
      const config = fmtp.get('config');
      if (!config) return;
      const asc = fromHex(config);
      out.audio = { track, asc, parsed: parseAudioSpecificConfig(asc) };
    }
  });
  return out;
}

/**
 * Whether a muxer can carry `after` on as it carries `before`: the same tracks, codecs, clock
 * rates and audio configuration. Video parameter sets (resolution) may differ: they change in
 * band, as a new init segment after a discontinuity.
 */
export function sameCarriage(before: StreamTracks, after: StreamTracks): boolean {
  const video = (t: StreamTracks): string => (t.video ? `${t.video.track.id}/${t.video.codec}/${t.video.track.clockRate}` : '');
  const audio = (t: StreamTracks): string => (t.audio ? `${t.audio.track.id}/${t.audio.track.clockRate}/${Buffer.from(t.audio.asc).toString('hex')}` : '');
  return video(before) === video(after) && audio(before) === audio(after);
}

/** fMP4 track ids: video 1, audio 2. */
export const VIDEO_TRACK_ID = 1;
export const AUDIO_TRACK_ID = 2;

export interface InitInfo {
  tracks: TrackInit[];
  codecs: string[];
  resolution?: { width: number; height: number };
  frameRate?: number;
}

/** The init tracks, or undefined while the video parameter sets are still unknown. */
export function buildInitInfo(tracks: StreamTracks): InitInfo | undefined {
  const out: InitInfo = { tracks: [], codecs: [] };
  const video = tracks.video;
  if (video) {
    const { sps, pps, vps } = video.params;
    if (!sps || !pps || (video.codec === 'H265' && !vps)) return undefined;
    if (video.codec === 'H264') {
      const info = parseH264Sps(sps);
      const config: AvcConfig = { sps: [sps], pps: [pps] };
      out.tracks.push({ id: VIDEO_TRACK_ID, timescale: video.track.clockRate, codec: { codec: 'h264', config, width: info.width, height: info.height } });
      out.codecs.push(avcCodecString(sps));
      out.resolution = { width: info.width, height: info.height };
      if (info.frameRate) out.frameRate = info.frameRate;
    } else {
      const info = parseH265Sps(sps);
      const config: HevcConfig = {
        vps: vps ? [vps] : [], sps: [sps], pps: [pps], chromaFormatIdc: info.chromaFormatIdc, bitDepthLuma: info.bitDepthLuma, bitDepthChroma: info.bitDepthLuma,
      };
      out.tracks.push({ id: VIDEO_TRACK_ID, timescale: video.track.clockRate, codec: { codec: 'h265', config, width: info.width, height: info.height } });
      out.codecs.push(hevcCodecString(sps));
      out.resolution = { width: info.width, height: info.height };
    }
  }
  const audio = tracks.audio;
  if (audio) {
    out.tracks.push({
      id: AUDIO_TRACK_ID, timescale: audio.track.clockRate,
      codec: { codec: 'aac', audioSpecificConfig: audio.asc, sampleRate: audio.parsed.sampleRate, channels: audio.parsed.channels || 2 },
    });
    out.codecs.push(aacCodecString(audio.parsed.objectType));
  }
  return out.tracks.length > 0 ? out : undefined;
}
