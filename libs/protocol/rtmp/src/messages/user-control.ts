/**
 * User Control messages, Adobe RTMP spec 1.0 §6.2 (type 4, message stream 0):
 * u16 event type, then event data.
 *
 *   0 Stream Begin        u32 stream id
 *   1 Stream EOF          u32 stream id
 *   2 Stream Dry          u32 stream id
 *   3 Set Buffer Length   u32 stream id, u32 buffer ms
 *   4 Stream Is Recorded  u32 stream id
 *   6 Ping Request        u32 timestamp
 *   7 Ping Response       u32 timestamp (echoed)
 */
import { MessageType, RtmpMessage } from '../chunk/rtmp-message';
import { RtmpMessageError } from './message-error';

export const UserControlEvent = {
  StreamBegin: 0,
  StreamEof: 1,
  StreamDry: 2,
  SetBufferLength: 3,
  StreamIsRecorded: 4,
  PingRequest: 6,
  PingResponse: 7,
} as const;

export interface UserControlMessage {
  event: number;
  /** Stream id, or the ping timestamp. */
  value: number;
  /** Set Buffer Length only: buffer length in ms. */
  bufferLength?: number;
}

export function encodeUserControl(msg: UserControlMessage): RtmpMessage {
  const withBuffer = msg.event === UserControlEvent.SetBufferLength;
  const payload = new Uint8Array(withBuffer ? 10 : 6);
  const view = new DataView(payload.buffer);
  view.setUint16(0, msg.event);
  view.setUint32(2, msg.value >>> 0);
  if (withBuffer) view.setUint32(6, (msg.bufferLength ?? 0) >>> 0);
  return { typeId: MessageType.UserControl, streamId: 0, timestamp: 0, payload };
}

export function decodeUserControl(msg: RtmpMessage): UserControlMessage {
  const p = msg.payload;
  if (p.byteLength < 6) throw new RtmpMessageError(`user control of ${p.byteLength} bytes, need 6`, msg.typeId);
  const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const event = view.getUint16(0);
  const out: UserControlMessage = { event, value: view.getUint32(2) };
  if (event === UserControlEvent.SetBufferLength) {
    if (p.byteLength < 10) throw new RtmpMessageError('Set Buffer Length shorter than 10 bytes', msg.typeId);
    out.bufferLength = view.getUint32(6);
  }
  return out;
}

export const streamBegin = (streamId: number): RtmpMessage => encodeUserControl({ event: UserControlEvent.StreamBegin, value: streamId });
export const streamEof = (streamId: number): RtmpMessage => encodeUserControl({ event: UserControlEvent.StreamEof, value: streamId });
export const pingRequest = (timestamp: number): RtmpMessage => encodeUserControl({ event: UserControlEvent.PingRequest, value: timestamp });
export const pingResponse = (timestamp: number): RtmpMessage => encodeUserControl({ event: UserControlEvent.PingResponse, value: timestamp });
