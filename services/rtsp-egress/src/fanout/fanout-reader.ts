import type { AccessUnitBatch } from './access-unit-batch';

export type ReaderTransport = 'tcp' | 'udp';

export type ReaderCloseReason = 'slow' | 'source-stopped' | 'teardown' | 'timeout' | 'connection-closed' | 'shutdown';

/**
 * Readers that are cheaper to serve together than one by one: UDP readers sharing the server's
 * RTP socket get a batch in one sendmmsg(2) for all of them (transport/udp-fanout.ts).
 */
export interface FanoutGroup {
  /**
   * Sends the batch to every reader of the array, each on the tracks it set up, whole; a group
   * never queues, so nobody is too slow. Returns the bytes sent. The fan-out passes the same
   * array until its membership changes, so a group may keep what it derives from it.
   */
  writeBatch(batch: AccessUnitBatch, readers: readonly FanoutReader[]): number;
}

/** What the fan-out needs from one playing session; TcpReader and UdpReader implement it. */
export interface FanoutReader {
  readonly transport: ReaderTransport;
  /** Set when this reader is written together with others once it is past its first keyframe. */
  readonly group?: FanoutGroup;
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
