import { mediaFmtp, parseSdp, SdpParseError } from '@streamgate/protocol-sdp';
import { ChildProcess, spawn } from 'node:child_process';
import { Socket, createSocket } from 'node:dgram';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AccessUnitMessage, StreamDescription, StreamEvent, Subjects, encodeEnvelope, encodeEnvelopeList, encodeJson,
} from '@streamgate/contracts';
import type { Bus, Subscription } from '@streamgate/platform';
import { recordChild } from '@streamgate/testing';

export const FAKE_SSRC = 0x1234abcd;

/**
 * Test stand-in for the packetizer: real H.264 RTP from ffmpeg (testsrc2, x264, keyframe every
 * second, SPS/PPS in band via dump_extra) is grouped into access units by the marker bit and
 * published on `media.<s>.out`; `describe` and `gop` requests are answered like the packetizer.
 */
export class FakePacketizer {
  readonly published: AccessUnitMessage[] = [];
  private gop: AccessUnitMessage[] = [];
  private current: Uint8Array[] = [];
  private readonly subs: Subscription[] = [];
  private ffmpeg: ChildProcess | undefined;
  private sdp = '';
  private paused = false;

  private constructor(private readonly bus: Bus, readonly stream: string, private readonly socket: Socket, private readonly dir: string) {}

  static async start(bus: Bus, stream: string): Promise<FakePacketizer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const dir = await mkdtemp(join(tmpdir(), 'sg-egress-'));
    const fake = new FakePacketizer(bus, stream, socket, dir);
    socket.on('message', (pkt) => fake.onPacket(new Uint8Array(pkt)));
    const sdpFile = join(dir, 'out.sdp');
    const port = socket.address().port;
    fake.ffmpeg = spawn('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-bf', '0', '-g', '25', '-bsf:v', 'dump_extra',
      '-ssrc', String(FAKE_SSRC), '-payload_type', '96', '-f', 'rtp', '-sdp_file', sdpFile, `rtp://127.0.0.1:${port}?pkt_size=1200`,
    ], { stdio: ['ignore', 'ignore', 'inherit'] });
    recordChild(fake.ffmpeg, 'ffmpeg');
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const text = await readFile(sdpFile, 'utf8').catch(() => '');
      if (videoFmtp(text) !== undefined && fake.gop.length > 0) {
        fake.sdp = text;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    if (!fake.sdp) {
      await fake.stop();
      throw new Error('ffmpeg did not produce an SDP and a keyframe within 10 s');
    }
    fake.subs.push(bus.subscribe(Subjects.describe(stream), (msg) => msg.respond(encodeJson(StreamDescription, fake.description()))));
    fake.subs.push(bus.subscribe(Subjects.gop(stream), (msg) => msg.respond(encodeEnvelopeList(fake.gop))));
    return fake;
  }

  description(): StreamDescription {
    const fmtp = videoFmtp(this.sdp) ?? 'packetization-mode=1';
    const sdp = [
      'v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=streamgate', 'c=IN IP4 0.0.0.0', 't=0 0', 'a=control:*',
      'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000', `a=fmtp:96 ${fmtp}`, 'a=control:trackID=0', '',
    ].join('\r\n');
    return {
      stream: this.stream, generation: 1, sdp,
      tracks: [{ id: 0, media: 'video', codec: 'H264', payloadType: 96, clockRate: 90000, ssrc: FAKE_SSRC }],
    };
  }

  /** Stops publishing (the stream stays described), e.g. to count units exactly. */
  pause(paused: boolean): void {
    this.paused = paused;
  }

  publishStopped(): void {
    const event: StreamEvent = { type: 'source-stopped', stream: this.stream, source: 'rtmp', at: Date.now(), generation: 1 };
    this.bus.publish(Subjects.streamEvents(this.stream), encodeJson(StreamEvent, event));
  }

  async stop(): Promise<void> {
    for (const s of this.subs) s.unsubscribe();
    const ff = this.ffmpeg;
    if (ff && ff.exitCode === null) {
      const exited = new Promise((r) => ff.once('exit', r));
      ff.kill('SIGKILL');
      await exited;
    }
    this.socket.close();
    await rm(this.dir, { recursive: true, force: true });
  }

  private onPacket(pkt: Uint8Array): void {
    if (pkt.byteLength < 13 || (pkt[1] & 0x7f) !== 96) return;
    this.current.push(pkt);
    if ((pkt[1] & 0x80) === 0) return;
    const packets = this.current;
    this.current = [];
    const au: AccessUnitMessage = {
      kind: 'access-unit', track: 0, keyframe: packets.some(isKeyPacket),
      rtpTimestamp: ((pkt[4] << 24) | (pkt[5] << 16) | (pkt[6] << 8) | pkt[7]) >>> 0, receivedAt: Date.now(), packets,
    };
    if (au.keyframe) this.gop = [];
    this.gop.push(au);
    if (this.paused) return;
    this.published.push(au);
    this.bus.publish(Subjects.mediaOut(this.stream), encodeEnvelope(au));
  }
}

/** RFC 6184 §5.4: single NAL 5/7, STAP-A (24) or FU-A (28) carrying an IDR or SPS. */
function isKeyPacket(pkt: Uint8Array): boolean {
  const nal = pkt[12] & 0x1f;
  if (nal === 5 || nal === 7) return true;
  if (nal === 28 && pkt.byteLength > 13) return ((pkt[13] & 0x1f) === 5);
  if (nal === 24 && pkt.byteLength > 15) return [5, 7].includes(pkt[15] & 0x1f);
  return false;
}

/** The fmtp parameters of ffmpeg's video section (read by protocol-sdp), as one fmtp value. */
function videoFmtp(text: string): string | undefined {
  let sdp;
  try {
    sdp = parseSdp(text);
  } catch (err) {
    if (err instanceof SdpParseError) return undefined;
    throw err;
  }
  const video = sdp.media.find((m) => m.type === 'video');
  const fmtp = video && mediaFmtp(video, 96);
  return fmtp && [...fmtp].map(([k, v]) => `${k}=${v}`).join(';');
}
