import type { AccessUnitMessage } from '@streamgate/contracts';
import type { FanoutReader, ReaderCloseReason } from '../fanout/fanout-reader';
import type { UdpPair } from '../transport/udp-pair';

export interface UdpClientPorts {
  rtp: number;
  rtcp: number;
}

/**
 * A reader receiving RTP over UDP from the shared server port pair. Datagrams are never
 * queued by us (the kernel drops what the reader cannot take), so a UDP reader is never slow.
 */
export class UdpReader implements FanoutReader {
  readonly transport = 'udp' as const;

  constructor(
    private readonly udp: UdpPair,
    private readonly address: string,
    private readonly ports: ReadonlyMap<number, UdpClientPorts>,
    private readonly onDropped: (reason: ReaderCloseReason) => void,
  ) {}

  wants(track: number): boolean {
    return this.ports.has(track);
  }

  writeAccessUnit(au: AccessUnitMessage): number {
    const ports = this.ports.get(au.track);
    if (!ports) return 0;
    let bytes = 0;
    for (const packet of au.packets) {
      this.udp.sendRtp(packet, ports.rtp, this.address);
      bytes += packet.byteLength;
    }
    return bytes;
  }

  writeRtcp(track: number, packet: Uint8Array): void {
    const ports = this.ports.get(track);
    if (ports) this.udp.sendRtcp(packet, ports.rtcp, this.address);
  }

  dropped(reason: ReaderCloseReason): void {
    this.onDropped(reason);
  }
}
