import type { AccessUnitMessage } from '@streamgate/contracts';
import { encodeInterleavedFrames } from '@streamgate/protocol-rtsp';

/**
 * The interleaved bytes (`$ ch len pkt` for every packet, RFC 2326 §10.12) of one access unit,
 * built at most once per channel and shared by every TCP reader using that channel. Readers
 * almost always map a track to the same channel (0 for video, 2 for audio), so one build
 * usually serves all of them.
 */
export class InterleavedAccessUnit {
  private readonly byChannel = new Map<number, Uint8Array>();

  constructor(private readonly au: AccessUnitMessage) {}

  bytesFor(channel: number): Uint8Array {
    let bytes = this.byChannel.get(channel);
    if (!bytes) {
      bytes = encodeInterleavedFrames(channel, this.au.packets);
      this.byChannel.set(channel, bytes);
    }
    return bytes;
  }
}
