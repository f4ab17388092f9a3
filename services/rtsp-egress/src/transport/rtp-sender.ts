import type { UdpDestination } from './udp-fanout';

/** Where one UDP reader's RTP packets for one track go. */
export interface RtpSender {
  /** Set when the reader can be served by the pair's batched sender (UdpFanout). */
  readonly destination?: UdpDestination;
  /** Sends one RTP packet as one datagram; never queues (the kernel drops what it cannot take). */
  send(packet: Uint8Array): void;
  /** The session is over: frees what the sender holds. Idempotent. */
  close(): void;
}
