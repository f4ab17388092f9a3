/**
 * The seam between an RTMP session and the rest of the gateway (mediamtx's "to_stream"
 * adapter): the session knows RTMP, the gate knows the bus, the store and the registry.
 */
export interface PublishRequest {
  /** Validated stream name. */
  stream: string;
  /** RTMP application from connect. */
  app: string;
  /** Unique per connection; the registry owner id. */
  sessionId: string;
  /** Disconnects the publisher (kick from the API, shutdown). */
  disconnect(reason: string): void;
}

export type FlvTagKind = 8 | 9 | 18;

export interface Publication {
  readonly stream: string;
  readonly generation: number;
  /** One FLV tag body as received (untouched), with the RTMP message timestamp. */
  media(tagType: FlvTagKind, timestamp: number, body: Uint8Array): void;
  /** Ends the publication (idempotent): source-stopped, final status, registry release. */
  end(reason: string): Promise<void>;
}

export type PublishDecision = { accepted: true; publication: Publication } | { accepted: false; reason: string };

export interface PublishGate {
  begin(request: PublishRequest): Promise<PublishDecision>;
}
