import type { AccessUnitBatch } from '../fanout/access-unit-batch';
import type { FanoutReader, ReaderCloseReason } from '../fanout/fanout-reader';
import type { RtpSender } from '../transport/rtp-sender';
import type { UdpDestination, UdpFanout } from '../transport/udp-fanout';
import type { UdpPair } from '../transport/udp-pair';

export interface UdpReaderTrack {
  /** RTP to the reader's `client_port` (owned by the session, which closes it). */
  rtp: RtpSender;
  /** The reader's RTCP port; sender reports and BYE go through the shared RTCP socket. */
  rtcpPort: number;
}

/**
 * A reader receiving RTP over UDP from the server's port pair. Datagrams are never queued by
 * us (the kernel drops what the reader cannot take), so a UDP reader is never slow. When the
 * pair has a batched sender and every track has a destination there, the reader joins it as a
 * group member: the fan-out then writes it together with the stream's other UDP readers.
 */
export class UdpReader implements FanoutReader {
  readonly transport = 'udp' as const;
  readonly group: UdpFanout | undefined;
  /** This reader alone, as the group takes readers (a stable array, so the group keeps its work). */
  private readonly alone: readonly FanoutReader[] = [this];

  constructor(
    private readonly udp: UdpPair,
    private readonly address: string,
    private readonly tracks: ReadonlyMap<number, UdpReaderTrack>,
    private readonly onDropped: (reason: ReaderCloseReason) => void,
  ) {
    const destinations = new Map<number, UdpDestination>();
    for (const [track, t] of tracks) if (t.rtp.destination) destinations.set(track, t.rtp.destination);
    if (udp.fanout && destinations.size === tracks.size && tracks.size > 0) {
      this.group = udp.fanout;
      udp.fanout.join(this, destinations);
    }
  }

  wants(track: number): boolean {
    return this.tracks.has(track);
  }

  writeBatch(batch: AccessUnitBatch): number {
    if (this.group) return this.group.writeBatch(batch, this.alone);
    let bytes = 0;
    for (const au of batch.units) {
      const track = this.tracks.get(au.track);
      if (!track) continue;
      const rtp = track.rtp;
      for (const packet of au.packets) {
        rtp.send(packet);
        bytes += packet.byteLength;
      }
    }
    return bytes;
  }

  writeRtcp(track: number, packet: Uint8Array): void {
    const t = this.tracks.get(track);
    if (t) this.udp.sendRtcp(packet, t.rtcpPort, this.address);
  }

  dropped(reason: ReaderCloseReason): void {
    this.onDropped(reason);
  }
}
