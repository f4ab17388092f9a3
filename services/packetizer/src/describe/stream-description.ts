/**
 * The SDP readers get (RFC 6184 §8.1 for H.264, RFC 7798 §7.1 for H.265, RFC 3640 §4.1 for
 * mpeg4-generic AAC-hbr) and the StreamDescription egress needs; the same for RTMP and RTSP
 * sources.
 */
import type { StreamDescription, TrackDescription } from '@streamgate/contracts';
import { formatFmtp, serializeSdp, SdpMedia } from '@streamgate/protocol-sdp';
import { audioSpecificConfigHex } from '@streamgate/protocol-rtp';
import { AUDIO_PAYLOAD_TYPE, AUDIO_TRACK, VIDEO_PAYLOAD_TYPE, VIDEO_TRACK } from '../media/access-unit';
import type { AudioConfig, VideoConfig } from '../media/track-config';

export interface DescribeInput {
  stream: string;
  generation: number;
  sessionId: string;
  version: number;
  video?: { config: VideoConfig; ssrc: number };
  audio?: { config: AudioConfig; ssrc: number };
}

const hex2 = (b: number): string => b.toString(16).padStart(2, '0');
const base64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');

function videoFmtp(config: VideoConfig): string {
  if (config.codec === 'H265') {
    const vps: Array<[string, string]> = config.vps ? [['sprop-vps', base64(config.vps)]] : [];
    return formatFmtp(VIDEO_PAYLOAD_TYPE, [...vps, ['sprop-sps', base64(config.sps)], ['sprop-pps', base64(config.pps)]]);
  }
  const sps = config.sps;
  // profile-level-id is the three SPS bytes after the NAL header (RFC 6184 §8.1).
  const profileLevelId = `${hex2(sps[1])}${hex2(sps[2])}${hex2(sps[3])}`;
  return formatFmtp(VIDEO_PAYLOAD_TYPE, [
    ['packetization-mode', '1'], ['profile-level-id', profileLevelId], ['sprop-parameter-sets', `${base64(config.sps)},${base64(config.pps)}`],
  ]);
}

function videoMedia(config: VideoConfig): SdpMedia {
  return {
    type: 'video', port: 0, protocol: 'RTP/AVP', formats: [String(VIDEO_PAYLOAD_TYPE)], bandwidths: [],
    attributes: [
      { name: 'rtpmap', value: `${VIDEO_PAYLOAD_TYPE} ${config.codec}/90000` },
      { name: 'fmtp', value: videoFmtp(config) },
      { name: 'control', value: `trackID=${VIDEO_TRACK}` },
    ],
  };
}

function audioMedia(config: AudioConfig): SdpMedia {
  const { channels } = config.parsed;
  return {
    type: 'audio', port: 0, protocol: 'RTP/AVP', formats: [String(AUDIO_PAYLOAD_TYPE)], bandwidths: [],
    attributes: [
      { name: 'rtpmap', value: `${AUDIO_PAYLOAD_TYPE} MPEG4-GENERIC/${config.clockRate}/${channels || 2}` },
      {
        name: 'fmtp',
        value: formatFmtp(AUDIO_PAYLOAD_TYPE, [
          ['streamtype', '5'], ['profile-level-id', '1'], ['mode', 'AAC-hbr'], ['sizelength', '13'], ['indexlength', '3'], ['indexdeltalength', '3'],
          ['config', audioSpecificConfigHex(config.asc)],
        ]),
      },
      { name: 'control', value: `trackID=${AUDIO_TRACK}` },
    ],
  };
}

export function buildStreamDescription(input: DescribeInput): StreamDescription {
  const media: SdpMedia[] = [];
  const tracks: TrackDescription[] = [];
  if (input.video) {
    media.push(videoMedia(input.video.config));
    tracks.push({ id: VIDEO_TRACK, media: 'video', codec: input.video.config.codec, payloadType: VIDEO_PAYLOAD_TYPE, clockRate: 90000, ssrc: input.video.ssrc });
  }
  if (input.audio) {
    media.push(audioMedia(input.audio.config));
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
