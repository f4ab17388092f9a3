/**
 * Protocol control messages, Adobe RTMP spec 1.0 §5.4: sent on chunk stream 2, message
 * stream 0, timestamp ignored.
 *
 *   1 Set Chunk Size               u32 (bit 31 = 0)           §5.4.1
 *   2 Abort Message                u32 chunk stream id        §5.4.2
 *   3 Acknowledgement              u32 sequence number        §5.4.3 (bytes received so far)
 *   5 Window Acknowledgement Size  u32 window                 §5.4.4
 *   6 Set Peer Bandwidth           u32 window, u8 limit type  §5.4.5 (0 hard, 1 soft, 2 dynamic)
 */
import { MessageType, RtmpMessage } from '../chunk/rtmp-message';
import { RtmpMessageError } from './message-error';

export type PeerBandwidthLimit = 0 | 1 | 2;

export type ProtocolControlMessage =
  | { type: 'set-chunk-size'; chunkSize: number }
  | { type: 'abort'; chunkStreamId: number }
  | { type: 'acknowledgement'; sequenceNumber: number }
  | { type: 'window-acknowledgement-size'; windowSize: number }
  | { type: 'set-peer-bandwidth'; windowSize: number; limitType: PeerBandwidthLimit };

function u32Message(typeId: number, value: number, extra?: number): RtmpMessage {
  const payload = new Uint8Array(extra === undefined ? 4 : 5);
  new DataView(payload.buffer).setUint32(0, value >>> 0);
  if (extra !== undefined) payload[4] = extra;
  return { typeId, streamId: 0, timestamp: 0, payload };
}

export function encodeProtocolControl(msg: ProtocolControlMessage): RtmpMessage {
  switch (msg.type) {
    case 'set-chunk-size':
      if (msg.chunkSize < 1 || msg.chunkSize > 0x7fffffff) throw new RtmpMessageError(`invalid chunk size ${msg.chunkSize}`, MessageType.SetChunkSize);
      return u32Message(MessageType.SetChunkSize, msg.chunkSize);
    case 'abort':
      return u32Message(MessageType.Abort, msg.chunkStreamId);
    case 'acknowledgement':
      return u32Message(MessageType.Acknowledgement, msg.sequenceNumber);
    case 'window-acknowledgement-size':
      return u32Message(MessageType.WindowAcknowledgementSize, msg.windowSize);
    case 'set-peer-bandwidth':
      return u32Message(MessageType.SetPeerBandwidth, msg.windowSize, msg.limitType);
  }
}

export function isProtocolControl(typeId: number): boolean {
  return typeId === 1 || typeId === 2 || typeId === 3 || typeId === 5 || typeId === 6;
}

/** Decodes a protocol control message; throws RtmpMessageError when it is short or unknown. */
export function decodeProtocolControl(msg: RtmpMessage): ProtocolControlMessage {
  const p = msg.payload;
  const need = msg.typeId === MessageType.SetPeerBandwidth ? 5 : 4;
  if (p.byteLength < need) throw new RtmpMessageError(`payload of ${p.byteLength} bytes, need ${need}`, msg.typeId);
  const value = new DataView(p.buffer, p.byteOffset, p.byteLength).getUint32(0);
  switch (msg.typeId) {
    case MessageType.SetChunkSize:
      return { type: 'set-chunk-size', chunkSize: value };
    case MessageType.Abort:
      return { type: 'abort', chunkStreamId: value };
    case MessageType.Acknowledgement:
      return { type: 'acknowledgement', sequenceNumber: value };
    case MessageType.WindowAcknowledgementSize:
      return { type: 'window-acknowledgement-size', windowSize: value };
    case MessageType.SetPeerBandwidth: {
      const limitType = p[4];
      if (limitType > 2) throw new RtmpMessageError(`invalid limit type ${limitType}`, msg.typeId);
      return { type: 'set-peer-bandwidth', windowSize: value, limitType: limitType as PeerBandwidthLimit };
    }
    default:
      throw new RtmpMessageError('not a protocol control message', msg.typeId);
  }
}
