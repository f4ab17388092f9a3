/** A chunk stream the decoder refuses (malformed, or beyond a configured bound). */
export class RtmpChunkError extends Error {
  constructor(message: string, readonly chunkStreamId?: number) {
    super(`rtmp chunk${chunkStreamId === undefined ? '' : ` (csid ${chunkStreamId})`}: ${message}`);
    this.name = 'RtmpChunkError';
  }
}
