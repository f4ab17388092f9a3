import type { Socket } from 'node:net';
import { encodeInterleavedFrame } from '@streamgate/protocol-rtsp';
import { AccessUnitBatch, InterleavedChannels } from '../fanout/access-unit-batch';
import type { FanoutReader, ReaderCloseReason } from '../fanout/fanout-reader';

/**
 * A reader receiving RTP interleaved on its RTSP connection (RFC 2326 §10.12). Each batch of
 * access units is one `socket.write` of bytes shared with other readers. When the socket's
 * queue would grow past `queueLimitBytes` the reader is reported too slow before anything of
 * the batch is written, so it never receives half a unit.
 */
export class TcpReader implements FanoutReader {
  readonly transport = 'tcp' as const;
  private readonly channels: InterleavedChannels;

  constructor(
    private readonly socket: Socket,
    /** track id → RTP channel (RTCP is channel + 1). */
    channels: ReadonlyMap<number, number>,
    private readonly queueLimitBytes: number,
    private readonly onDropped: (reason: ReaderCloseReason) => void,
  ) {
    this.channels = new InterleavedChannels(channels);
  }

  wants(track: number): boolean {
    return this.channels.byTrack.has(track);
  }

  writeBatch(batch: AccessUnitBatch): number {
    const socket = this.socket;
    if (socket.destroyed) return 0;
    const bytes = batch.interleaved(this.channels);
    const size = bytes.byteLength;
    if (size === 0) return 0;
    if (socket.writableLength + size > this.queueLimitBytes) return -1;
    socket.write(bytes);
    return size;
  }

  writeRtcp(track: number, packet: Uint8Array): void {
    const channel = this.channels.byTrack.get(track);
    if (channel === undefined || this.socket.destroyed || !this.socket.writable) return;
    if (this.socket.writableLength + packet.byteLength > this.queueLimitBytes) return;
    this.socket.write(encodeInterleavedFrame(channel + 1, packet));
  }

  dropped(reason: ReaderCloseReason): void {
    this.onDropped(reason);
  }
}
