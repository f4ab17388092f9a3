/**
 * What a bad network between a camera and the gateway does to RTP interleaved in the RTSP TCP
 * connection (RFC 2326 §10.12: `$`, channel, u16 length, packet), done on purpose: on each RTP
 * channel (even channel numbers) every `swapEvery`-th packet is held and sent after the next
 * one (neighbours swapped), every `duplicateEvery`-th is sent twice, and `dropCount` packets of
 * `dropChannel` are left out, one every `dropEvery`. RTSP messages and RTCP pass as they are.
 * What a TCP camera never does, a UDP path does; this brings it to the TCP path, where a test
 * can count exactly what it did. Pure: bytes in, bytes out.
 */
export interface DisorderOptions {
  swapEvery: number;
  duplicateEvery: number;
  dropChannel?: number;
  dropEvery?: number;
  dropCount?: number;
}

export interface DisorderCounts {
  swapped: number;
  duplicated: number;
  dropped: number;
}

const DOLLAR = 0x24;
const HEADER_END = Buffer.from('\r\n\r\n');

export class InterleavedDisorder {
  readonly counts: DisorderCounts = { swapped: 0, duplicated: 0, dropped: 0 };
  private pending: Buffer = Buffer.alloc(0);
  private readonly held = new Map<number, Buffer>();
  private readonly seen = new Map<number, number>();

  constructor(private readonly options: DisorderOptions) {}

  /** Bytes from the camera; returns what goes on to the gateway, in order. */
  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      const item = this.next();
      if (!item) break;
      if (item[0] === DOLLAR) this.frame(item, out);
      else out.push(item);
    }
    return out;
  }

  /** One whole item off the front (an interleaved frame or an RTSP message), if it is all there. */
  private next(): Buffer | undefined {
    const p = this.pending;
    if (p.length === 0) return undefined;
    let size: number;
    if (p[0] === DOLLAR) {
      if (p.length < 4) return undefined;
      size = 4 + p.readUInt16BE(2);
    } else {
      const end = p.indexOf(HEADER_END);
      if (end < 0) return undefined;
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(p.subarray(0, end).toString('latin1'));
      size = end + HEADER_END.length + (length ? Number(length[1]) : 0);
    }
    if (p.length < size) return undefined;
    const item = p.subarray(0, size);
    this.pending = p.subarray(size);
    return item;
  }

  private frame(frame: Buffer, out: Buffer[]): void {
    const channel = frame[1];
    if (channel % 2 === 1) {
      out.push(frame);
      return;
    }
    const n = (this.seen.get(channel) ?? 0) + 1;
    this.seen.set(channel, n);
    const o = this.options;
    if (o.dropChannel === channel && o.dropEvery && this.counts.dropped < (o.dropCount ?? 0) && n % o.dropEvery === 0) {
      this.counts.dropped++;
      return;
    }
    const held = this.held.get(channel);
    if (held) {
      // The next packet of the channel overtakes the held one.
      this.held.delete(channel);
      out.push(frame, held);
      this.counts.swapped++;
      return;
    }
    if (n % o.swapEvery === 0) {
      this.held.set(channel, Buffer.from(frame));
      return;
    }
    out.push(frame);
    if (n % o.duplicateEvery === 0) {
      out.push(frame);
      this.counts.duplicated++;
    }
  }
}
