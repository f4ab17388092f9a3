/**
 * An RTMP message (Adobe RTMP spec 1.0 §6.1): type id, 32-bit timestamp, message stream id
 * and payload, as reassembled from (or split into) chunks (§5.3).
 */
export interface RtmpMessage {
  typeId: number;
  /** Message stream id (little-endian on the wire in chunk type 0, §5.3.1.2.1). */
  streamId: number;
  /** Milliseconds, 32-bit, wraps (§6.1.1: timestamps are relative to an arbitrary epoch). */
  timestamp: number;
  payload: Uint8Array;
}

/** Message type ids: §5.4 protocol control, §6.2 user control, §7.1 the rest. */
export const MessageType = {
  SetChunkSize: 1,
  Abort: 2,
  Acknowledgement: 3,
  UserControl: 4,
  WindowAcknowledgementSize: 5,
  SetPeerBandwidth: 6,
  Audio: 8,
  Video: 9,
  DataAmf3: 15,
  SharedObjectAmf3: 16,
  CommandAmf3: 17,
  DataAmf0: 18,
  SharedObjectAmf0: 19,
  CommandAmf0: 20,
  Aggregate: 22,
} as const;

/** Chunk stream ids commonly used (§5.3.1.1: 2 is reserved for protocol control messages). */
export const ChunkStreamId = {
  Control: 2,
  Command: 3,
  Audio: 4,
  Video: 5,
  Data: 6,
} as const;

export const DEFAULT_CHUNK_SIZE = 128;
export const MAX_CHUNK_STREAM_ID = 65599;
