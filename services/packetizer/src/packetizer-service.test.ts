import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  AccessUnitMessage, BusErrorReply, decodeEnvelope, decodeEnvelopeList, decodeJson, encodeEnvelope, encodeJson,
  StreamDescription, StreamEvent, Subjects,
} from '@streamgate/contracts';
import { AccessControl, ConfigSchema, createLogger, createMetricsCatalog, securityContext, InProcessBus, MemoryStateStore, ServiceContext } from '@streamgate/platform';
import { H264Decoder, parseRtpPacket, timestampDiff } from '@streamgate/protocol-rtp';
import { h264NalType, splitAnnexB } from '@streamgate/codec';
import { mediaFmtp, mediaRtpMap, parseSdp } from '@streamgate/protocol-sdp';
import { FlvUnits, makeFlvWithFfmpeg, readFlvUnits, TEST_FLV_ARGS } from '@streamgate/packetizer/testing';
import type { AccessUnit } from '@streamgate/media';
import { RunningPacketizer, startPacketizer } from './index';

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('packetizer service over the in-process bus', () => {
  let flv: FlvUnits;
  let tags: ReturnType<typeof makeFlvWithFfmpeg>['tags'] = [];
  let ctx: ServiceContext;
  let running: RunningPacketizer;
  const out: AccessUnitMessage[] = [];

  before(async () => {
    tags = makeFlvWithFfmpeg(TEST_FLV_ARGS).tags;
    // What ingest sends for an RTMP publish: its formats in source-started, then codec units.
    flv = readFlvUnits(tags);
    ctx = {
      bus: new InProcessBus(),
      store: new MemoryStateStore(),
      config: ConfigSchema.parse({ RTP_MAX_PAYLOAD: 1200 }),
      logger: createLogger({ service: 'packetizer-test', level: 'silent' }),
      metrics: createMetricsCatalog('packetizer'),
      ...securityContext(ConfigSchema.parse({}), createLogger({ service: 'packetizer-test', level: 'silent' })),
      access: new AccessControl(ConfigSchema.parse({}), createLogger({ service: 'packetizer-test', level: 'silent' }), undefined),
    };
    running = await startPacketizer(ctx, { statusIntervalMs: 50 });
    ctx.bus.subscribe(Subjects.mediaOut('cam1'), (m) => {
      const msg = decodeEnvelope(m.data);
      if (msg.kind === 'access-unit') out.push(msg);
    });
  });
  after(async () => {
    await running.stop();
    await ctx.bus.close();
  });

  const publishUnits = async (stream: string, list: readonly AccessUnit[], receivedAt = 1234.5): Promise<void> => {
    for (const u of list) {
      ctx.bus.publish(Subjects.mediaIn(stream), encodeEnvelope({ kind: 'codec-unit', track: u.track, keyframe: u.keyframe, timestamp: u.timestamp, receivedAt, payloads: u.payloads }));
    }
    await settle();
  };
  const started = (generation: number, formats?: FlvUnits['formats']): Uint8Array =>
    encodeJson(StreamEvent, { type: 'source-started', stream: 'cam1', source: 'rtmp', at: Date.now(), generation, formats });

  test('describe of an unknown stream answers 404', async () => {
    const reply = await ctx.bus.request(Subjects.describe('nope'), new Uint8Array(), { timeoutMs: 2000 });
    assert.equal(decodeJson(BusErrorReply, 'reply', reply.data).code, 404);
  });

  test('a describe that arrives before the formats (RTMP: announced again once the sequence headers are read) is answered once they are in', async () => {
    ctx.bus.publish(Subjects.streamEvents('cam1'), started(1));
    await settle();
    const pending = ctx.bus.request(Subjects.describe('cam1'), new Uint8Array(), { timeoutMs: 3000 });
    ctx.bus.publish(Subjects.streamEvents('cam1'), started(1, flv.formats));
    await publishUnits('cam1', flv.units);
    const d = decodeJson(StreamDescription, 'reply', (await pending).data);
    assert.equal(d.generation, 1);
    assert.deepEqual(d.tracks.map((t) => [t.id, t.codec, t.payloadType, t.clockRate]), [[0, 'H264', 96, 90000], [1, 'MPEG4-GENERIC', 97, 44100]]);
    const sdp = parseSdp(d.sdp);
    assert.equal(sdp.sessionName, 'streamgate');
    assert.equal(mediaRtpMap(sdp.media[0])?.encoding, 'H264');
    assert.equal(mediaFmtp(sdp.media[0])?.get('profile-level-id'), '64000d');
    assert.equal(mediaFmtp(sdp.media[0])?.get('sprop-parameter-sets')?.split(',').length, 2);
    assert.equal(mediaRtpMap(sdp.media[1])?.channels, 2);
    assert.match(mediaFmtp(sdp.media[1])?.get('config') ?? '', /^1210/); // ffmpeg appends the SBR sync extension (56e500)
    assert.equal(mediaFmtp(sdp.media[1])?.get('mode'), 'AAC-hbr');
    assert.deepEqual(sdp.media.map((m) => m.attributes.find((a) => a.name === 'control')?.value), ['trackID=0', 'trackID=1']);
  });

  test('one access-unit message per AU, receivedAt passed through, packets ≤ MTU', () => {
    const frames = tags.filter((t) => t.tagType === 9 && t.data[1] === 1).length;
    const audioFrames = tags.filter((t) => t.tagType === 8 && t.data[1] === 1).length;
    assert.equal(out.filter((m) => m.track === 0).length, frames);
    assert.equal(out.filter((m) => m.track === 1).length, audioFrames);
    assert.ok(out.every((m) => m.receivedAt === 1234.5));
    assert.ok(out.every((m) => m.packets.every((p) => parseRtpPacket(p).payload.byteLength <= 1200)));
    assert.ok(out[0].keyframe && out[0].track === 0);
  });

  test('GOP reply: the lead-in (the video unit before the keyframe), then the latest keyframe and all tracks since', async () => {
    const reply = await ctx.bus.request(Subjects.gop('cam1'), new Uint8Array(), { timeoutMs: 2000 });
    const list = decodeEnvelopeList(reply.data);
    assert.ok(list.length > 25);
    const [lead, first] = list;
    assert.ok(lead.kind === 'access-unit' && lead.track === 0 && !lead.keyframe, 'led in by a video non-keyframe');
    assert.ok(first.kind === 'access-unit' && first.track === 0 && first.keyframe);
    assert.equal((first.rtpTimestamp - lead.rtpTimestamp) >>> 0 < 90000, true, 'the lead-in is the unit just before');
    assert.equal(list.filter((m) => m.kind === 'access-unit' && m.keyframe).length, 1);
    assert.ok(list.some((m) => m.kind === 'access-unit' && m.track === 1));
    const decoder = new H264Decoder();
    let aus = 0;
    for (const m of list) {
      if (m.kind !== 'access-unit' || m.track !== 0) continue;
      for (const p of m.packets) if (decoder.decode(parseRtpPacket(p)).kind === 'complete') aus++;
    }
    assert.equal(aus, list.filter((m) => m.kind === 'access-unit' && m.track === 0).length);
  });

  test('latest frame is Annex B of the latest video AU', async () => {
    const reply = await ctx.bus.request(Subjects.latestFrame('cam1'), new Uint8Array(), { timeoutMs: 2000 });
    const frame = decodeEnvelope(reply.data);
    assert.equal(frame.kind, 'frame');
    if (frame.kind === 'frame') {
      assert.equal(frame.codec, 'h264');
      assert.ok(splitAnnexB(frame.data).every((n) => [1, 5, 6, 7, 8].includes(h264NalType(n))));
    }
  });

  test('{"since_keyframe":true}: every video AU from the latest keyframe through the latest, as frames (the keyframe first, with parameter sets)', async () => {
    const reply = await ctx.bus.request(Subjects.latestFrame('cam1'), new TextEncoder().encode('{"since_keyframe":true}'), { timeoutMs: 2000 });
    const frames = decodeEnvelopeList(reply.data);
    const gop = decodeEnvelopeList((await ctx.bus.request(Subjects.gop('cam1'), new Uint8Array(), { timeoutMs: 2000 })).data);
    // The GOP reply is led by the unit before the keyframe; the picture starts at the keyframe.
    const videoAus = gop.filter((m) => m.kind === 'access-unit' && m.track === 0);
    const leadIn = videoAus[0]?.kind === 'access-unit' && !videoAus[0].keyframe ? 1 : 0;
    assert.equal(frames.length, videoAus.length - leadIn);
    assert.ok(frames.every((f) => f.kind === 'frame' && f.codec === 'h264'));
    const [first, ...rest] = frames;
    assert.ok(first.kind === 'frame' && first.keyframe);
    if (first.kind === 'frame') assert.deepEqual(splitAnnexB(first.data).slice(0, 2).map(h264NalType), [7, 8], 'SPS, PPS first');
    assert.ok(rest.every((f) => f.kind === 'frame' && !f.keyframe));
    const latest = decodeEnvelope((await ctx.bus.request(Subjects.latestFrame('cam1'), new Uint8Array(), { timeoutMs: 2000 })).data);
    const last = frames.at(-1);
    assert.ok(latest.kind === 'frame' && last?.kind === 'frame');
    // The latest-unit reply puts the parameter sets before it; the unit itself is the same.
    if (latest.kind === 'frame' && last?.kind === 'frame') assert.ok(Buffer.from(latest.data).subarray(-last.data.byteLength).equals(Buffer.from(last.data)), 'ends at the latest unit');
  });

  test('status is written with fps, bitrate and tracks', async () => {
    await new Promise((r) => setTimeout(r, 120));
    const raw = await ctx.store.get('status/cam1/packetizer');
    assert.ok(raw);
    const status = JSON.parse(raw);
    assert.equal(status.frames_received, 50);
    assert.equal(status.tracks[0].width, 320);
    assert.equal(status.tracks[0].profile, 'High');
    assert.equal(status.tracks[1].sample_rate, 44100);
    assert.equal(typeof status.last_frame_time, 'number');
  });

  test('malformed input on one stream is counted and leaves other streams untouched', async () => {
    ctx.bus.publish(Subjects.mediaIn('bad'), new Uint8Array([9, 9, 9]));
    ctx.bus.publish(Subjects.mediaIn('bad'), encodeEnvelope({ kind: 'codec-unit', track: 0, keyframe: true, timestamp: 0, receivedAt: 0, payloads: [new Uint8Array([0x65, 1, 2])] }));
    ctx.bus.publish(Subjects.streamEvents('bad'), new TextEncoder().encode('{"type":"nonsense"}'));
    await settle();
    assert.equal(running.service.stream('bad')?.malformed, 3);
    const reply = await ctx.bus.request(Subjects.describe('cam1'), new Uint8Array(), { timeoutMs: 2000 });
    assert.equal(decodeJson(StreamDescription, 'reply', reply.data).stream, 'cam1');
  });

  test('a stream\'s units are cut from its own slabs: small units share memory within a stream, never across streams, and stay intact', async () => {
    const got = new Map<string, Uint8Array[]>([['slab1', []], ['slab2', []]]);
    const subs = [...got.keys()].map((s) => ctx.bus.subscribe(Subjects.mediaOut(s), (m) => got.get(s)?.push(m.data)));
    for (const s of got.keys()) {
      ctx.bus.publish(Subjects.streamEvents(s), encodeJson(StreamEvent, { type: 'source-started', stream: s, source: 'rtmp', at: Date.now(), generation: 1, formats: flv.formats }));
    }
    await settle();
    // Interleaved, as two live sources are: each unit of one stream, then the same of the other.
    for (const u of flv.units.slice(0, 60)) {
      for (const s of got.keys()) ctx.bus.publish(Subjects.mediaIn(s), encodeEnvelope({ kind: 'codec-unit', track: u.track, keyframe: u.keyframe, timestamp: u.timestamp, receivedAt: 1234.5, payloads: u.payloads }));
    }
    await settle();
    for (const sub of subs) sub.unsubscribe();
    const [a, b] = [...got.values()];
    assert.ok(a.length > 50 && a.length === b.length, `${a.length} and ${b.length} units out`);
    const memoryA = new Set(a.map((u) => u.buffer));
    const memoryB = new Set(b.map((u) => u.buffer));
    assert.ok(memoryA.size < a.length / 4, `${a.length} units in ${memoryA.size} buffers: small units share a slab`);
    assert.ok([...memoryA].every((m) => !memoryB.has(m)), 'no slab holds units of both streams');
    // Same input, same output bytes (apart from each stream's SSRC): no piece overlaps another.
    for (const [i, unit] of a.entries()) {
      const x = decodeEnvelope(unit);
      const y = decodeEnvelope(b[i]);
      assert.ok(x.kind === 'access-unit' && y.kind === 'access-unit');
      assert.deepEqual(x.packets.map((p) => Buffer.from(parseRtpPacket(p).payload).toString('hex')), y.packets.map((p) => Buffer.from(parseRtpPacket(p).payload).toString('hex')), `unit ${i}`);
    }
  });

  test('re-publish with a new generation: same SSRC, sequence numbers and timeline continue', async () => {
    const lastVideo = [...out].reverse().find((m) => m.track === 0);
    assert.ok(lastVideo);
    const lastPacket = parseRtpPacket(lastVideo.packets[lastVideo.packets.length - 1]);
    ctx.bus.publish(Subjects.streamEvents('cam1'), encodeJson(StreamEvent, { type: 'source-stopped', stream: 'cam1', source: 'rtmp', at: Date.now(), generation: 1 }));
    await settle();
    const gone = await ctx.bus.request(Subjects.describe('cam1'), new Uint8Array(), { timeoutMs: 2000 });
    assert.equal(decodeJson(BusErrorReply, 'reply', gone.data).code, 404);
    ctx.bus.publish(Subjects.streamEvents('cam1'), started(2, flv.formats));
    const before = out.length;
    await publishUnits('cam1', flv.units.slice(0, 10));
    const next = out.slice(before).find((m) => m.track === 0);
    assert.ok(next);
    const first = parseRtpPacket(next.packets[0]);
    assert.equal(first.header.ssrc, lastPacket.header.ssrc);
    assert.equal((first.header.sequenceNumber - lastPacket.header.sequenceNumber + 65536) % 65536, 1);
    // The new source continues the timeline (TimelineContinuity), in the packets' headers too.
    assert.ok(timestampDiff(lastPacket.header.timestamp, first.header.timestamp) > 0, 'timestamps move forward');
    for (const m of out.slice(before)) for (const p of m.packets) assert.equal(parseRtpPacket(p).header.timestamp, m.rtpTimestamp);
    const d = decodeJson(StreamDescription, 'reply', (await ctx.bus.request(Subjects.describe('cam1'), new Uint8Array(), { timeoutMs: 3000 })).data);
    assert.equal(d.generation, 2);
  });
});
