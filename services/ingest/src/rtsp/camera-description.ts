/**
 * What we pull from a camera's DESCRIBE answer: the media sections we can carry (H.264,
 * H.265, AAC as mpeg4-generic), each with its index in the SDP (the `track` of every
 * RtpBatchMessage), its control URL, and the aggregate URL for PLAY/PAUSE/TEARDOWN.
 */
import { controlUrl } from '@streamgate/protocol-rtsp';
import { SdpParseError, getAttribute, mediaRtpMap, parseSdp } from '@streamgate/protocol-sdp';
import { RtspProtocolViolation } from './rtsp-client-errors';

export type CameraCodec = 'H264' | 'H265' | 'MPEG4-GENERIC';

export interface CameraTrack {
  /** Index of the media section in the camera SDP. */
  index: number;
  media: 'video' | 'audio';
  codec: CameraCodec;
  payloadType: number;
  clockRate: number;
  controlUrl: string;
}

export interface CameraDescription {
  sdp: string;
  /** RFC 2326 §C.1.1: session-level control against the base, the base itself by default. */
  aggregateUrl: string;
  tracks: CameraTrack[];
  /** Media we do not carry, e.g. `audio PCMA/8000`, for one log line. */
  skipped: string[];
}

const SUPPORTED: Record<string, { media: 'video' | 'audio'; codec: CameraCodec }> = {
  H264: { media: 'video', codec: 'H264' },
  H265: { media: 'video', codec: 'H265' },
  'MPEG4-GENERIC': { media: 'audio', codec: 'MPEG4-GENERIC' },
};

export function describeCamera(sdpText: string, baseUrl: string): CameraDescription {
  let sdp;
  try {
    sdp = parseSdp(sdpText);
  } catch (err) {
    if (!(err instanceof SdpParseError)) throw err;
    throw new RtspProtocolViolation(`DESCRIBE answered an unusable SDP (${err.message})`);
  }
  const tracks: CameraTrack[] = [];
  const skipped: string[] = [];
  sdp.media.forEach((m, index) => {
    const rtpmap = mediaRtpMap(m);
    const kind = rtpmap ? SUPPORTED[rtpmap.encoding.toUpperCase()] : undefined;
    if (!rtpmap || !kind || kind.media !== m.type || !m.protocol.toUpperCase().startsWith('RTP/AVP')) {
      skipped.push(`${m.type} ${rtpmap ? `${rtpmap.encoding}/${rtpmap.clockRate}` : `payload ${m.formats[0] ?? '?'}`}`);
      return;
    }
    tracks.push({
      index, media: kind.media, codec: kind.codec, payloadType: rtpmap.payloadType, clockRate: rtpmap.clockRate,
      controlUrl: controlUrl(baseUrl, getAttribute(m.attributes, 'control')),
    });
  });
  if (tracks.length === 0) {
    throw new RtspProtocolViolation(`the camera offers no supported track (H.264, H.265, AAC); it has: ${skipped.join(', ') || 'no media'}`);
  }
  return { sdp: sdpText, aggregateUrl: controlUrl(baseUrl, getAttribute(sdp.attributes, 'control')), tracks, skipped };
}
