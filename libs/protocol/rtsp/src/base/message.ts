import { RtspHeaders } from './headers';

/** RFC 2326 §6: Request-Line, headers, optional body. */
export interface RtspRequest {
  method: string;
  /** Request-URI as sent: an absolute rtsp:// URL or `*`. */
  url: string;
  /** e.g. `RTSP/1.0`; servers answer anything else with 505. */
  version: string;
  headers: RtspHeaders;
  body: Uint8Array;
}

/** RFC 2326 §7: Status-Line, headers, optional body. */
export interface RtspResponse {
  version: string;
  statusCode: number;
  reason: string;
  headers: RtspHeaders;
  body: Uint8Array;
}

/** RFC 2326 §10.12: `$`, channel, u16 length, data; carries RTP/RTCP on the RTSP connection. */
export interface InterleavedFrame {
  channel: number;
  /** View into the reader's buffer; copy it to keep it past the next push. */
  payload: Uint8Array;
}

export const RTSP_VERSION = 'RTSP/1.0';

export const EMPTY_BODY: Uint8Array = new Uint8Array(0);
