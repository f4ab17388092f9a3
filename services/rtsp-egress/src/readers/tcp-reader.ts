import type { Socket } from 'node:net';
import type { AccessUnitMessage } from '@streamgate/contracts';
import { encodeInterleavedFrame } from '@streamgate/protocol-rtsp';
import type { FanoutReader, ReaderCloseReason } from '../fanout/fanout-reader';
import type { InterleavedAccessUnit } from '../fanout/interleaved-access-unit';

/**
 * A reader receiving RTP interleaved on its RTSP connection (RFC 2326 §10.12). Each access
 * unit is one `socket.write` of bytes shared with other readers. When the socket's queue
 * would grow past `queueLimitBytes` the reader is reported too slow before anything of the
 * unit is written, so it never receives half a unit.
 */
export class TcpReader implements FanoutReader {
  readonly transport = 'tcp' as const;

  constructor(
    private readonly socket: Socket,
    /** track id → RTP channel (RTCP is channel + 1). */
    private readonly channels: ReadonlyMap<number, number>,
    private readonly queueLimitBytes: number,
    private readonly onDropped: (reason: ReaderCloseReason) => void,
  ) {}

  wants(track: number): boolean {
    return this.channels.has(track);
  }

  writeAccessUnit(au: AccessUnitMessage, interleaved: InterleavedAccessUnit): number {
    const channel = this.channels.get(au.track);
    if (channel === undefined || this.socket.destroyed) return 0;
    const bytes = interleaved.bytesFor(channel);
    if (this.socket.writableLength + bytes.byteLength > this.queueLimitBytes) return -1;
    this.socket.write(bytes);
    return bytes.byteLength;
  }

  writeRtcp(track: number, packet: Uint8Array): void {
    const channel = this.channels.get(track);
    if (channel === undefined || this.socket.destroyed || !this.socket.writable) return;
    if (this.socket.writableLength + packet.byteLength > this.queueLimitBytes) return;
    this.socket.write(encodeInterleavedFrame(channel + 1, packet));
  }

  dropped(reason: ReaderCloseReason): void {
    this.onDropped(reason);
  }
}
