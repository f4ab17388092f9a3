import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  AccessUnitMessage, decodeEnvelope, decodeEnvelopeList, decodeJson, sourceFormatOf, encodeEnvelope, encodeJson, StreamDescription,
  StreamEvent, Subjects,
} from '@streamgate/contracts';
import { AccessControl, ConfigSchema, createLogger, createMetricsCatalog, securityContext, InProcessBus, MemoryStateStore, ServiceContext } from '@streamgate/platform';
import { parseRtpPacket } from '@streamgate/protocol-rtp';
import { splitAnnexB } from '@streamgate/codec';
import { readSdpFormats } from '@streamgate/media';
import { mediaFmtp, mediaRtpMap, parseSdp } from '@streamgate/protocol-sdp';
import { captureLiveRtp, decodedFrames, depacketizeVideo, LiveCapture, VideoFormat } from '@streamgate/packetizer/testing';
import { RunningPacketizer, startPacketizer } from './index';

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
const MTU = 1000;
const FRAMES = 50;
const input = (seconds: number, audio: boolean): string[] => [
  '-re', '-t', String(seconds), '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25',
  ...(audio ? ['-re', '-t', String(seconds), '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'] : []),
];
const X264 = ['-map', '0:v', '-c:v', 'libx264', '-profile:v', 'high', '-pix_fmt', 'yuv420p', '-bf', '2', '-g', '25'];
const X265 = ['-map', '0:v', '-c:v', 'libx265', '-pix_fmt', 'yuv420p', '-x265-params', 'log-level=none:bframes=2:keyint=25'];
const AAC = ['-map', '1:a', '-c:a', 'aac', '-ac', '2'];

const cases: Array<{ name: string; stream: string; format: VideoFormat; codec: 'H264' | 'H265'; capture: () => Promise<LiveCapture>; audio: boolean }> = [
  { name: 'ffmpeg libx264 -bf 2 + AAC', stream: 'cam264', format: 'h264', codec: 'H264', audio: true, capture: () => captureLiveRtp(input(2, true), [X264, AAC]) },
  { name: 'ffmpeg libx265 B-frames', stream: 'cam265', format: 'hevc', codec: 'H265', audio: false, capture: () => captureLiveRtp(input(2, false), [X265]) },
];

describe('packetizer service: RTSP camera RTP over the in-process bus', () => {
  let ctx: ServiceContext;
  let running: RunningPacketizer;

  before(async () => {
    ctx = {
      bus: new InProcessBus(),
      store: new MemoryStateStore(),
      config: ConfigSchema.parse({ RTP_MAX_PAYLOAD: MTU }),
      logger: createLogger({ service: 'packetizer-rtsp-test', level: 'silent' }),
      metrics: createMetricsCatalog('packetizer'),
      ...securityContext(ConfigSchema.parse({}), createLogger({ service: 'packetizer-rtsp-test', level: 'silent' })),
      access: new AccessControl(ConfigSchema.parse({}), createLogger({ service: 'packetizer-test', level: 'silent' }), undefined),
    };
    running = await startPacketizer(ctx, { statusIntervalMs: 50 });
  });
  after(async () => {
    await running.stop();
    await ctx.bus.close();
  });

  for (const c of cases) {
    test(`${c.name}: access units out, valid describe, decodable output and latest frame, status`, async () => {
      const live = await c.capture();
      const out: AccessUnitMessage[] = [];
      const sub = ctx.bus.subscribe(Subjects.mediaOut(c.stream), (m) => {
        const msg = decodeEnvelope(m.data);
        if (msg.kind === 'access-unit') out.push(msg);
      });
      ctx.bus.publish(Subjects.streamEvents(c.stream), encodeJson(StreamEvent, { type: 'source-started', stream: c.stream, source: 'rtsp', at: Date.now(), generation: 1, formats: readSdpFormats(live.sdp).tracks.map(sourceFormatOf) }));
      // Batched as ingest reads them: consecutive datagrams of one socket share a batch (at most 8);
      // a track's first batch begins its source (loopback keeps the capture in order).
      const begun = new Set<number>();
      for (let i = 0; i < live.datagrams.length;) {
        const first = live.datagrams[i];
        const batch = [first.data];
        for (i++; i < live.datagrams.length && batch.length < 8; i++) {
          const d = live.datagrams[i];
          if (d.track !== first.track || d.rtcp !== first.rtcp) break;
          batch.push(d.data);
        }
        const newSource = !first.rtcp && !begun.has(first.track);
        if (newSource) begun.add(first.track);
        ctx.bus.publish(Subjects.mediaIn(c.stream), encodeEnvelope({ kind: 'rtp-batch', track: first.track, rtcp: first.rtcp, newSource, receivedAt: first.receivedAt, packets: batch }));
        await settle();
      }
      await settle();
      sub.unsubscribe();

      const video = out.filter((m) => m.track === 0);
      assert.equal(video.length, FRAMES);
      assert.ok(video[0].keyframe);
      assert.ok(out.every((m) => m.packets.every((p) => parseRtpPacket(p).payload.byteLength <= MTU)));
      assert.ok(out.every((m) => live.datagrams.some((d) => d.receivedAt === m.receivedAt)), 'receivedAt comes from the batches');
      assert.equal(decodedFrames(depacketizeVideo(video.flatMap((m) => m.packets), c.format), c.format), FRAMES);
      if (c.audio) assert.ok(out.filter((m) => m.track === 1).length >= 90, 'about 2 s of AAC frames');

      const d = decodeJson(StreamDescription, 'reply', (await ctx.bus.request(Subjects.describe(c.stream), new Uint8Array(), { timeoutMs: 2000 })).data);
      assert.deepEqual(d.tracks.map((t) => [t.id, t.codec]), c.audio ? [[0, c.codec], [1, 'MPEG4-GENERIC']] : [[0, c.codec]]);
      const sdp = parseSdp(d.sdp);
      assert.equal(mediaRtpMap(sdp.media[0])?.encoding, c.codec);
      assert.equal(mediaRtpMap(sdp.media[0])?.clockRate, 90000);
      const fmtp = mediaFmtp(sdp.media[0]);
      if (c.codec === 'H265') assert.ok(['sprop-vps', 'sprop-sps', 'sprop-pps'].every((k) => (fmtp?.get(k) ?? '').length > 4));
      else assert.equal(fmtp?.get('sprop-parameter-sets')?.split(',').length, 2);
      if (c.audio) {
        assert.equal(mediaRtpMap(sdp.media[1])?.clockRate, 48000);
        assert.equal(mediaFmtp(sdp.media[1])?.get('mode'), 'AAC-hbr');
      }

      const gop = decodeEnvelopeList((await ctx.bus.request(Subjects.gop(c.stream), new Uint8Array(), { timeoutMs: 2000 })).data);
      // Led in by the video unit before the keyframe, once the stream has one (GopCache).
      const key = gop.findIndex((m) => m.kind === 'access-unit' && m.track === 0 && m.keyframe);
      assert.ok(key === 0 || key === 1, `keyframe at ${key}`);
      if (key === 1) assert.ok(gop[0].kind === 'access-unit' && gop[0].track === 0 && !gop[0].keyframe);

      const frameReply = await ctx.bus.request(Subjects.latestFrame(c.stream), new TextEncoder().encode('{"keyframe":true}'), { timeoutMs: 2000 });
      const frame = decodeEnvelope(frameReply.data);
      assert.ok(frame.kind === 'frame');
      assert.equal(frame.codec, c.format === 'h264' ? 'h264' : 'h265');
      assert.ok(frame.keyframe);
      assert.equal(decodedFrames([splitAnnexB(frame.data)], c.format), 1, 'the latest keyframe is one decodable access unit');

      await new Promise((r) => setTimeout(r, 120));
      const status = JSON.parse((await ctx.store.get(`status/${c.stream}/packetizer`)) ?? '{}');
      assert.equal(status.source, 'rtsp');
      assert.equal(status.frames_received, FRAMES);
      assert.equal(status.tracks[0].codec, c.codec);
      assert.equal(status.tracks[0].width, 320);
      assert.equal(status.tracks[0].height, 240);
      assert.equal(status.tracks[0].profile, c.codec === 'H264' ? 'High' : 'Main');
      assert.deepEqual(status.unsupported_tracks, []);
      if (c.audio) assert.deepEqual([status.tracks[1].sample_rate, status.tracks[1].channels], [48000, 2]);
    });
  }

  test('RTP before source-started, garbage batches and a source-started without formats are counted; other streams untouched', async () => {
    const junk = encodeEnvelope({ kind: 'rtp-batch', track: 0, rtcp: false, newSource: true, receivedAt: 0, packets: [new Uint8Array([0x80, 0x60, 1])] });
    ctx.bus.publish(Subjects.mediaIn('junk'), junk);
    ctx.bus.publish(Subjects.streamEvents('junk'), encodeJson(StreamEvent, { type: 'source-started', stream: 'junk', source: 'rtsp', at: Date.now(), generation: 1 }));
    ctx.bus.publish(Subjects.streamEvents('junk2'), encodeJson(StreamEvent, { type: 'source-started', stream: 'junk2', source: 'rtsp', at: Date.now(), generation: 1, formats: [{ codec: 'H264', track: 0, payload_type: 96, clock_rate: 90000, packetization_mode: 0 }] }));
    ctx.bus.publish(Subjects.mediaIn('junk2'), junk);
    ctx.bus.publish(Subjects.mediaIn('junk2'), encodeEnvelope({ kind: 'rtp-batch', track: 0, rtcp: false, newSource: true, receivedAt: 0, packets: [new Uint8Array(40).fill(0x80)] }));
    await settle();
    assert.equal(running.service.stream('junk')?.malformed, 2);
    assert.ok((running.service.stream('junk2')?.malformed ?? 0) >= 1);
    const d = decodeJson(StreamDescription, 'reply', (await ctx.bus.request(Subjects.describe('cam264'), new Uint8Array(), { timeoutMs: 2000 })).data);
    assert.equal(d.stream, 'cam264');
  });
});
