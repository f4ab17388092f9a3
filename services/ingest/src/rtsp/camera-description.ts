/**
 * What we pull from a camera's DESCRIBE answer: the tracks the media model's one SDP reader
 * (`readSdpFormats`) carries — the same ones the packetizer depacketizes — each with its index
 * in the SDP (the `track` of every RtpBatchMessage) and its control URL, and the aggregate URL
 * for PLAY/PAUSE/TEARDOWN.
 */
import { Format, FormatCodec, readSdpFormats, UnsupportedTrack } from '@streamgate/media';
import { controlUrl } from '@streamgate/protocol-rtsp';
import { SdpParseError } from '@streamgate/protocol-sdp';
import { RtspProtocolViolation } from './rtsp-client-errors';

export interface CameraTrack {
  /** Index of the media section in the camera SDP. */
  index: number;
  media: 'video' | 'audio';
  codec: FormatCodec;
  payloadType: number;
  clockRate: number;
  controlUrl: string;
  format: Format;
}

export interface CameraDescription {
  sdp: string;
  /** RFC 2326 §C.1.1: session-level control against the base, the base itself by default. */
  aggregateUrl: string;
  tracks: CameraTrack[];
  /** Media we do not carry, e.g. `audio PCMA/8000`, for one log line. */
  skipped: string[];
  /** The same, typed, for the packetizer's status. */
  unsupported: UnsupportedTrack[];
}

export function describeCamera(sdpText: string, baseUrl: string): CameraDescription {
  let formats;
  try {
    formats = readSdpFormats(sdpText);
  } catch (err) {
    if (!(err instanceof SdpParseError)) throw err;
    throw new RtspProtocolViolation(`DESCRIBE answered an unusable SDP (${err.message})`);
  }
  const skipped = formats.unsupported.map((u) => `${u.media} ${u.label}`);
  if (formats.tracks.length === 0) {
    throw new RtspProtocolViolation(`the camera offers no supported track (H.264, H.265, AAC); it has: ${skipped.join(', ') || 'no media'}`);
  }
  const tracks = formats.tracks.map(({ index, control, format }) => ({
    index, media: format.media, codec: format.codec, payloadType: format.payloadType, clockRate: format.clockRate,
    controlUrl: controlUrl(baseUrl, control), format,
  }));
  return { sdp: sdpText, aggregateUrl: controlUrl(baseUrl, formats.control), tracks, skipped, unsupported: formats.unsupported };
}
