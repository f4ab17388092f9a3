import type { StreamDescription } from '@streamgate/contracts';
import type { ReaderCloseReason } from '../fanout/fanout-reader';
import type { RtspSession } from '../session/rtsp-session';
import type { RtspConnection } from './rtsp-connection';

/** What request handlers need from the server's session table. */
export interface SessionDirectory {
  get(id: string): RtspSession | undefined;
  /** Throws RtspStatusError 503 when RTSP_MAX_SESSIONS is reached. */
  create(stream: string, description: StreamDescription, connection: RtspConnection): RtspSession;
  /** Lets RTCP from `address:rtcpPort` keep the session alive. */
  indexUdpClient(session: RtspSession, rtcpPort: number): void;
  close(session: RtspSession, reason: ReaderCloseReason): void;
}
