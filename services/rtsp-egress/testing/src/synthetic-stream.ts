import {
  AccessUnitMessage, StreamDescription, StreamEvent, Subjects, encodeEnvelope, encodeEnvelopeList, encodeJson,
} from '@streamgate/contracts';
import type { Bus, Subscription } from '@streamgate/platform';

export const SYNTHETIC_SSRC = 0x0badf00d;

/**
 * A packetizer stand-in with made-up RTP (valid headers, filler payload) published as fast as
 * a test needs: for volume (slow readers) and exact counting, where a real encoder is too slow.
 */
export class SyntheticStream {
  readonly published: AccessUnitMessage[] = [];
  private gop: AccessUnitMessage[] = [];
  private seq = 1000;
  private ts = 90000;
  private readonly subs: Subscription[];
  readonly description: StreamDescription;

  /** `spropParameterSets`: the SDP's sprop-parameter-sets (base64 SPS,PPS), when the test needs real ones. */
  constructor(private readonly bus: Bus, readonly stream: string, readonly generation = 1, spropParameterSets?: string) {
    const fmtp = spropParameterSets ? `a=fmtp:96 packetization-mode=1;sprop-parameter-sets=${spropParameterSets}\r\n` : '';
    const description: StreamDescription = {
      stream, generation,
      sdp: `v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=synthetic\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n${fmtp}a=control:trackID=0\r\n`,
      tracks: [{ id: 0, media: 'video', codec: 'H264', payloadType: 96, clockRate: 90000, ssrc: SYNTHETIC_SSRC }],
    };
    this.description = description;
    this.subs = [
      bus.subscribe(Subjects.describe(stream), (msg) => msg.respond(encodeJson(StreamDescription, description))),
      bus.subscribe(Subjects.gop(stream), (msg) => msg.respond(encodeEnvelopeList(this.gop))),
    ];
  }

  /** Publishes one access unit of `packets` packets of `size` bytes, stamped as arriving at `receivedAt`. */
  publish(keyframe: boolean, packets = 1, size = 200, receivedAt = Date.now()): AccessUnitMessage {
    const list: Uint8Array[] = [];
    for (let i = 0; i < packets; i++) {
      const p = new Uint8Array(size);
      p[0] = 0x80;
      p[1] = 96 | (i === packets - 1 ? 0x80 : 0);
      new DataView(p.buffer).setUint16(2, this.seq++ & 0xffff);
      new DataView(p.buffer).setUint32(4, this.ts);
      new DataView(p.buffer).setUint32(8, SYNTHETIC_SSRC);
      p[12] = keyframe && i === 0 ? 0x65 : 0x41;
      list.push(p);
    }
    const au: AccessUnitMessage = { kind: 'access-unit', track: 0, keyframe, rtpTimestamp: this.ts, receivedAt, packets: list };
    this.ts = (this.ts + 3600) >>> 0;
    if (keyframe) this.gop = [];
    this.gop.push(au);
    this.published.push(au);
    this.bus.publish(Subjects.mediaOut(this.stream), encodeEnvelope(au));
    return au;
  }

  stopped(): void {
    const event: StreamEvent = { type: 'source-stopped', stream: this.stream, source: 'rtmp', at: Date.now(), generation: this.generation };
    this.bus.publish(Subjects.streamEvents(this.stream), encodeJson(StreamEvent, event));
  }

  close(): void {
    for (const s of this.subs) s.unsubscribe();
  }
}

export function seqOf(packet: Uint8Array): number {
  return (packet[2] << 8) | packet[3];
}
