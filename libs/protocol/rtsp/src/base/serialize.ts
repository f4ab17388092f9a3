import { RtspEncodeError } from './errors';
import { RtspHeaders } from './headers';
import { RtspRequest, RtspResponse } from './message';
import { reasonPhrase } from './status';

/**
 * Serializers for RFC 2326 §6/§7 messages and §10.12 interleaved frames. Each computes the size
 * first and allocates once; `write*` variants fill a caller-owned buffer.
 */

const INTERLEAVED_HEADER_SIZE = 4;
const MAX_INTERLEAVED_PAYLOAD = 0xffff;

function headText(startLine: string, headers: RtspHeaders, bodyLength: number): string {
  let text = startLine + '\r\n';
  for (const [name, value] of headers.entries()) {
    if (name.toLowerCase() === 'content-length') continue;
    text += `${name}: ${value}\r\n`;
  }
  if (bodyLength > 0) text += `Content-Length: ${bodyLength}\r\n`;
  return text + '\r\n';
}

function requestHead(req: RtspRequest): string {
  if (/[\s]/.test(req.method) || req.method.length === 0) throw new RtspEncodeError(`invalid method ${JSON.stringify(req.method)}`);
  if (/[\s]/.test(req.url) || req.url.length === 0) throw new RtspEncodeError(`invalid request URL ${JSON.stringify(req.url)}`);
  return headText(`${req.method} ${req.url} ${req.version}`, req.headers, req.body.byteLength);
}

function responseHead(res: RtspResponse): string {
  if (!Number.isInteger(res.statusCode) || res.statusCode < 100 || res.statusCode > 999) {
    throw new RtspEncodeError(`invalid status code ${res.statusCode}`);
  }
  const reason = res.reason || reasonPhrase(res.statusCode);
  if (/[\r\n]/.test(reason)) throw new RtspEncodeError('reason phrase contains CR or LF');
  return headText(`${res.version} ${res.statusCode} ${reason}`, res.headers, res.body.byteLength);
}

function writeLatin1(text: string, out: Uint8Array, offset: number): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) throw new RtspEncodeError('non-latin1 character in message head');
    out[offset + i] = c;
  }
  return offset + text.length;
}

function encode(head: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(head.length + body.byteLength);
  const offset = writeLatin1(head, out, 0);
  out.set(body, offset);
  return out;
}

export function encodeRequest(req: RtspRequest): Uint8Array {
  return encode(requestHead(req), req.body);
}

export function encodeResponse(res: RtspResponse): Uint8Array {
  return encode(responseHead(res), res.body);
}

export function interleavedFrameByteLength(payloadLength: number): number {
  return INTERLEAVED_HEADER_SIZE + payloadLength;
}

/** Writes `$ channel len payload` at `offset`; returns the offset after it. */
export function writeInterleavedFrame(channel: number, payload: Uint8Array, out: Uint8Array, offset: number): number {
  if (!Number.isInteger(channel) || channel < 0 || channel > 255) throw new RtspEncodeError(`invalid channel ${channel}`);
  if (payload.byteLength > MAX_INTERLEAVED_PAYLOAD) {
    throw new RtspEncodeError(`interleaved payload of ${payload.byteLength} bytes exceeds ${MAX_INTERLEAVED_PAYLOAD}`);
  }
  if (out.byteLength - offset < INTERLEAVED_HEADER_SIZE + payload.byteLength) throw new RtspEncodeError('output buffer too small');
  out[offset] = 0x24;
  out[offset + 1] = channel;
  out[offset + 2] = payload.byteLength >> 8;
  out[offset + 3] = payload.byteLength & 0xff;
  out.set(payload, offset + INTERLEAVED_HEADER_SIZE);
  return offset + INTERLEAVED_HEADER_SIZE + payload.byteLength;
}

export function encodeInterleavedFrame(channel: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(interleavedFrameByteLength(payload.byteLength));
  writeInterleavedFrame(channel, payload, out, 0);
  return out;
}

/** All `packets` as consecutive frames on one channel, in one buffer (one write per reader). */
export function encodeInterleavedFrames(channel: number, packets: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of packets) size += interleavedFrameByteLength(p.byteLength);
  const out = new Uint8Array(size);
  let offset = 0;
  for (const p of packets) offset = writeInterleavedFrame(channel, p, out, offset);
  return out;
}
