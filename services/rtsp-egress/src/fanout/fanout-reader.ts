import type { AccessUnitBatch } from './access-unit-batch';

export type ReaderTransport = 'tcp' | 'udp';

export type ReaderCloseReason = 'slow' | 'source-stopped' | 'teardown' | 'timeout' | 'connection-closed' | 'shutdown';

/** What the fan-out needs from one playing session; TcpReader and UdpReader implement it. */
export interface FanoutReader {
  readonly transport: ReaderTransport;
  /** Whether the session set up this track. */
  wants(track: number): boolean;
  /**
   * Sends the units of the batch on the tracks it set up, whole. Returns the bytes sent, or -1
   * when the reader is too slow and must be dropped (nothing of this batch was sent).
   */
  writeBatch(batch: AccessUnitBatch): number;
  /** Sends one RTCP (compound) packet for `track` on its RTCP channel/port. */
  writeRtcp(track: number, packet: Uint8Array): void;
  /** The fan-out let go of this reader; the session must end. */
  dropped(reason: ReaderCloseReason): void;
}
