/**
 * The seam between an RTMP session and the rest of the gateway (mediamtx's "to_stream"
 * adapter): the session knows RTMP, the gate knows the bus, the store and the registry.
 */
import type { FlvTagType } from '@streamgate/protocol-rtmp';

export interface PublishRequest {
  /** Validated stream name. */
  stream: string;
  /** RTMP application from connect. */
  app: string;
  /** Unique per connection; the registry owner id. */
  sessionId: string;
  /** Disconnects the publisher (kick from the API, shutdown). */
  disconnect(reason: string): void;
  /** Peer address. */
  ip: string;
  /** What the publish URL's query carried (`?user=&pass=`, `?token=`, `?jwt=`), and the rest of it. */
  credentials: PublishCredentials;
}

export interface PublishCredentials {
  user?: string;
  pass?: string;
  token?: string;
  /** The query without the credential parameters (passed to AUTH_HTTP_URL). */
  query: string;
}

export interface Publication {
  readonly stream: string;
  readonly generation: number;
  /**
   * One FLV tag body as received (untouched), with the RTMP message timestamp. Returns why the
   * publish must end (a codec we cannot carry), else undefined.
   */
  media(tagType: FlvTagType, timestamp: number, body: Uint8Array): string | undefined;
  /** Ends the publication (idempotent): source-stopped, final status, registry release. */
  end(reason: string): Promise<void>;
}

/** `rejected`: access control said no (NetStream.Publish.Rejected); otherwise BadName. */
export type PublishDecision = { accepted: true; publication: Publication } | { accepted: false; reason: string; rejected?: boolean };

export interface PublishGate {
  begin(request: PublishRequest): Promise<PublishDecision>;
}
