/**
 * What a test reader needs of an SDP: one entry per m= section with its control URL. Read by
 * protocol-sdp (the one SDP reader) and resolved by protocol-rtsp's `controlUrl` (the one
 * control-URL resolver, RFC 2326 §C.1.1).
 */
import { controlUrl } from '@streamgate/protocol-rtsp';
import { getAttribute, mediaRtpMap, parseSdp } from '@streamgate/protocol-sdp';

export interface SdpTrack {
  media: string;
  payloadType: number;
  /** e.g. "H264/90000", "MPEG4-GENERIC/48000/2"; empty when the section has no a=rtpmap. */
  rtpmap: string;
  /** Absolute URL to SETUP (a=control resolved against the base URL). */
  controlUrl: string;
}

export interface SdpSummary {
  tracks: SdpTrack[];
  /** URL for aggregate PLAY/TEARDOWN (session-level a=control resolved, or the base URL). */
  sessionUrl: string;
}

export function parseSdpTracks(sdp: string, baseUrl: string): SdpSummary {
  const parsed = parseSdp(sdp);
  const tracks = parsed.media.map((m): SdpTrack => {
    const map = mediaRtpMap(m);
    const rtpmap = map ? [map.encoding, map.clockRate, ...(map.channels !== undefined ? [map.channels] : [])].join('/') : '';
    return { media: m.type, payloadType: Number(m.formats[0] ?? -1), rtpmap, controlUrl: controlUrl(baseUrl, getAttribute(m.attributes, 'control')) };
  });
  return { tracks, sessionUrl: controlUrl(baseUrl, getAttribute(parsed.attributes, 'control')) };
}
