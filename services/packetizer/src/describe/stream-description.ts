/**
 * The SDP readers get and the StreamDescription egress needs, the same for RTMP and RTSP
 * sources: our output tracks as formats, written by the media model's SDP writer (RFC 6184
 * §8.1 for H.264, RFC 7798 §7.1 for H.265, RFC 3640 §4.1 for mpeg4-generic AAC-hbr).
 */
import type { StreamDescription, TrackDescription } from '@streamgate/contracts';
import { serializeSdp, SdpMedia } from '@streamgate/protocol-sdp';
import { AudioConfig, formatToSdpMedia, Mpeg4AudioFormat, VIDEO_CLOCK_RATE, VideoConfig, VideoFormat } from '@streamgate/media';
import { AUDIO_PAYLOAD_TYPE, AUDIO_TRACK, VIDEO_PAYLOAD_TYPE, VIDEO_TRACK } from '../media/access-unit';

export interface DescribeInput {
  stream: string;
  generation: number;
  sessionId: string;
  version: number;
  video?: { config: VideoConfig; ssrc: number };
  audio?: { config: AudioConfig; ssrc: number };
}

/** What we send: H.264 packetization-mode 1, H.265 without DONL. */
function videoFormat(config: VideoConfig): VideoFormat {
  const parameterSets = { vps: config.vps, sps: config.sps, pps: config.pps };
  const base = { media: 'video' as const, payloadType: VIDEO_PAYLOAD_TYPE, clockRate: VIDEO_CLOCK_RATE, parameterSets };
  return config.codec === 'H264' ? { ...base, codec: 'H264', packetizationMode: 1 } : { ...base, codec: 'H265' };
}

/** What we send: AAC-hbr, sizelength 13, indexlength 3, indexdeltalength 3 (RFC 3640 §3.3.6). */
function audioFormat(config: AudioConfig): Mpeg4AudioFormat {
  const { asc, parsed, clockRate } = config;
  return { media: 'audio', codec: 'MPEG4-GENERIC', payloadType: AUDIO_PAYLOAD_TYPE, clockRate, asc, parsed, sizeLength: 13, indexLength: 3, indexDeltaLength: 3 };
}

export function buildStreamDescription(input: DescribeInput): StreamDescription {
  const media: SdpMedia[] = [];
  const tracks: TrackDescription[] = [];
  if (input.video) {
    media.push(formatToSdpMedia(videoFormat(input.video.config), VIDEO_PAYLOAD_TYPE, `trackID=${VIDEO_TRACK}`));
    tracks.push({ id: VIDEO_TRACK, media: 'video', codec: input.video.config.codec, payloadType: VIDEO_PAYLOAD_TYPE, clockRate: VIDEO_CLOCK_RATE, ssrc: input.video.ssrc });
  }
  if (input.audio) {
    media.push(formatToSdpMedia(audioFormat(input.audio.config), AUDIO_PAYLOAD_TYPE, `trackID=${AUDIO_TRACK}`));
    tracks.push({ id: AUDIO_TRACK, media: 'audio', codec: 'MPEG4-GENERIC', payloadType: AUDIO_PAYLOAD_TYPE, clockRate: input.audio.config.clockRate, ssrc: input.audio.ssrc });
  }
  const sdp = serializeSdp({
    version: 0,
    origin: { username: '-', sessionId: input.sessionId, sessionVersion: String(input.version), netType: 'IN', addrType: 'IP4', address: '0.0.0.0' },
    sessionName: 'streamgate',
    bandwidths: [],
    timing: [{ start: '0', stop: '0' }],
    attributes: [{ name: 'tool', value: 'streamgate' }],
    media,
  });
  return { stream: input.stream, generation: input.generation, sdp, tracks };
}
