import type { AccessUnitMessage } from '@streamgate/contracts';
import { interleavedFrameByteLength, writeInterleavedFrame } from '@streamgate/protocol-rtsp';

/**
 * How one TCP reader maps tracks to interleaved RTP channels (RTCP is channel + 1). `key`
 * names the mapping, so readers with equal mappings (almost all: 0 for video, 2 for audio)
 * share the same bytes.
 */
export class InterleavedChannels {
  readonly key: string;

  constructor(readonly byTrack: ReadonlyMap<number, number>) {
    this.key = [...byTrack].sort(([a], [b]) => a - b).map(([track, channel]) => `${track}:${channel}`).join(',');
  }
}

/** Every packet of a batch in order, for batched UDP sends (UdpFanout). */
export interface FlatPackets {
  readonly packets: Uint8Array[];
  /** The track of each packet. */
  readonly tracks: Uint8Array;
  /** Highest track id in the batch (-1 when empty). */
  readonly maxTrack: number;
  /** Payload bytes per track id. */
  readonly bytesByTrack: ReadonlyMap<number, number>;
}

/**
 * The access units of all tracks that arrived in one bus delivery run, in arrival order, sent
 * to every reader as one piece of work. A TCP reader gets the interleaved frames of all of them
 * (`$ ch len pkt` for every packet, RFC 2326 §10.12) in one `socket.write`; those bytes are
 * built once per channel mapping and shared by every reader using it. A batch holds whole
 * access units only, so a reader dropped before a write never receives half a unit.
 */
export class AccessUnitBatch {
  private lastKey: string | undefined;
  private lastBytes: Buffer | undefined;
  private readonly byKey = new Map<string, Buffer>();
  private readonly suffixes = new Map<number, AccessUnitBatch>();
  private flatPackets: FlatPackets | undefined;

  constructor(readonly units: readonly AccessUnitMessage[]) {}

  /** The interleaved frames of the units whose track `channels` maps, in order; possibly empty. */
  interleaved(channels: InterleavedChannels): Buffer {
    if (channels.key === this.lastKey && this.lastBytes) return this.lastBytes;
    let bytes = this.byKey.get(channels.key);
    if (!bytes) {
      bytes = this.build(channels.byTrack);
      this.byKey.set(channels.key, bytes);
    }
    this.lastKey = channels.key;
    this.lastBytes = bytes;
    return bytes;
  }

  /** All packets in order with their tracks, built once and shared by every UDP send. */
  flat(): FlatPackets {
    if (this.flatPackets) return this.flatPackets;
    const packets: Uint8Array[] = [];
    const bytesByTrack = new Map<number, number>();
    let maxTrack = -1;
    for (const au of this.units) {
      let bytes = bytesByTrack.get(au.track) ?? 0;
      for (const p of au.packets) {
        packets.push(p);
        bytes += p.byteLength;
      }
      bytesByTrack.set(au.track, bytes);
      if (au.track > maxTrack) maxTrack = au.track;
    }
    const tracks = new Uint8Array(packets.length);
    let i = 0;
    for (const au of this.units) for (let k = 0; k < au.packets.length; k++) tracks[i++] = au.track;
    this.flatPackets = { packets, tracks, maxTrack, bytesByTrack };
    return this.flatPackets;
  }

  /** The units from `index` on (a reader that starts at a keyframe inside this batch). */
  from(index: number): AccessUnitBatch {
    if (index <= 0) return this;
    let suffix = this.suffixes.get(index);
    if (!suffix) {
      suffix = new AccessUnitBatch(this.units.slice(index));
      this.suffixes.set(index, suffix);
    }
    return suffix;
  }

  private build(byTrack: ReadonlyMap<number, number>): Buffer {
    let size = 0;
    for (const au of this.units) {
      if (!byTrack.has(au.track)) continue;
      for (const p of au.packets) size += interleavedFrameByteLength(p.byteLength);
    }
    // A Buffer (not a plain Uint8Array) so socket.write does not wrap it again for every reader.
    const out = Buffer.allocUnsafe(size);
    let offset = 0;
    for (const au of this.units) {
      const channel = byTrack.get(au.track);
      if (channel === undefined) continue;
      for (const p of au.packets) offset = writeInterleavedFrame(channel, p, out, offset);
    }
    return out;
  }
}
