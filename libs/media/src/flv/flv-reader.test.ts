import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { serializeHevcDecoderConfig, splitAvcc } from '@streamgate/codec';
import { ChunkDecoder, FlvTagType, flvTagTypeOf, parseVideoTag } from '@streamgate/protocol-rtmp';
import { FlvReader, FlvReadError, FLV_AUDIO_WAIT_MS, FLV_MAX_AAC_FRAME, FLV_MAX_NALUS_PER_TAG } from './flv-reader';
import { FLV_AUDIO_TRACK, FLV_VIDEO_TRACK } from './flv-format';

// A real publish: ffmpeg 5.1 (libx264 High, -bf 2, AAC 44.1 kHz mono) to an RTMP server, as
// captured by libs/protocol/rtmp/fixtures/capture.mjs (the command is in capture.md there).
const FIXTURES = join(__dirname, '../../../../../libs/protocol/rtmp/fixtures');
const messages = new ChunkDecoder().push(new Uint8Array(readFileSync(join(FIXTURES, 'ffmpeg-5.1-publish.bin'))).subarray(3073));
const tags = messages
  .map((m) => ({ tagType: flvTagTypeOf(m.typeId), timestamp: m.timestamp, data: m.payload }))
  .filter((t): t is { tagType: FlvTagType; timestamp: number; data: Uint8Array } => t.tagType !== undefined);

const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
// libx265 160x120 Main (the codec lib's hevc-config test: `ffmpeg -f lavfi -i testsrc2=size=160x120:rate=25 -frames:v 1 -c:v libx265 -f hevc x.hevc`).
const VPS = hex('40010c01ffff01600000030090000003000003001e959809');
const SPS = hex('42010101600000030090000003000003001ea014207965959a4932bc05a02000000300200000030321');
const PPS = hex('4401c172b46240');
/** An IDR_W_RADL slice NAL unit header (type 19) with a few bytes of slice data. */
const IDR = hex('2601af0a3c');
const lengthPrefixed = (...nalus: Uint8Array[]): number[] => nalus.flatMap((n) => [0, 0, 0, n.byteLength, ...n]);
/** Enhanced RTMP: IsExHeader | FrameType 1 (key) | PacketType, FourCC. */
const exHeader = (packetType: number, fourCc: string): number[] => [0x80 | (1 << 4) | packetType, ...Buffer.from(fourCc)];
/** onMetaData {hasAudio: <b>} as a script tag (AMF0 string, object, end marker). */
const metadata = (hasAudio: boolean): Uint8Array => Uint8Array.from([2, 0, 10, ...Buffer.from('onMetaData'), 3, 0, 8, ...Buffer.from('hasAudio'), 1, hasAudio ? 1 : 0, 0, 0, 9]);

function readAll(reader: FlvReader, list: typeof tags) {
  return list.map((t) => reader.read(t.tagType, t.timestamp, t.data));
}

describe('FlvReader: an RTMP publication into formats and codec units (the captured ffmpeg 5.1 publish)', () => {
  const reader = new FlvReader();
  const reads = readAll(reader, tags);
  const units = reads.flatMap((r) => r.units);
  const video = units.filter((u) => u.track === FLV_VIDEO_TRACK);
  const audio = units.filter((u) => u.track === FLV_AUDIO_TRACK);
  const videoTags = tags.filter((t) => t.tagType === 9);

  test('formats from the sequence headers: H.264 with SPS and PPS, AAC LC 44.1 kHz mono at its sample rate', () => {
    assert.deepEqual(reader.tracks.map((t) => [t.index, t.format.codec, t.format.clockRate]), [[0, 'H264', 90000], [1, 'MPEG4-GENERIC', 44100]]);
    const v = reader.tracks[0].format;
    assert.ok(v.codec === 'H264' && v.parameterSets.sps?.[0] === 0x67 && (v.parameterSets.pps?.[0] ?? 0) & 0x1f, 'SPS and PPS');
    const a = reader.tracks[1].format;
    assert.ok(a.codec === 'MPEG4-GENERIC' && a.parsed.channels === 1 && a.parsed.samplesPerFrame === 1024);
    assert.equal(reader.ready, true);
    assert.deepEqual([reader.videoCodecName, reader.audioCodecName], ['H264', 'AAC']);
  });

  test('the formats are announced once ("changed"), when both sequence headers are in', () => {
    const changed = reads.map((r, i) => (r.changed ? i : -1)).filter((i) => i >= 0);
    assert.equal(changed.length, 1);
    assert.equal(reads.slice(0, changed[0]).flatMap((r) => r.units).length, 0, 'no unit before the description');
  });

  test('one unit per coded video tag: its NAL units, pts × 90 (dts + composition time), keyframe from the frame type', () => {
    const coded = videoTags.map((t) => ({ t, v: parseVideoTag(t.data) })).filter(({ v }) => v.codec === 'avc' && v.packetType === 'nalu');
    assert.equal(video.length, coded.length);
    coded.forEach(({ t, v }, i) => {
      assert.ok(v.codec === 'avc');
      assert.equal(video[i].timestamp, ((t.timestamp + v.compositionTime) * 90) >>> 0);
      assert.equal(video[i].keyframe, v.keyframe);
      assert.deepEqual(video[i].payloads, splitAvcc(v.data, 4));
    });
    assert.ok(video[0].keyframe);
    assert.ok(video.some((u, i) => i > 0 && u.timestamp < video[i - 1].timestamp), 'B-frames: presentation order differs from decode order');
    assert.equal(reads.filter((r) => r.frame).length, coded.length, 'every coded frame counted');
  });

  test('one unit per raw AAC tag, timestamps stepping exactly 1024 samples despite FLV ms rounding', () => {
    assert.ok(audio.length > 20);
    for (let i = 1; i < audio.length; i++) assert.equal(audio[i].timestamp - audio[i - 1].timestamp, 1024);
    assert.ok(audio.every((u) => u.payloads.length === 1 && !u.keyframe));
  });
});

describe('FlvReader: enhanced RTMP, refusals and readiness', () => {
  test('E-RTMP hvc1: SequenceStart → H.265 format with VPS/SPS/PPS; CodedFramesX → one keyframe unit at composition 0', () => {
    const reader = new FlvReader();
    reader.read(18, 0, metadata(false));
    const start = reader.read(9, 0, Uint8Array.from([...exHeader(0, 'hvc1'), ...serializeHevcDecoderConfig(VPS, SPS, PPS)]));
    assert.equal(start.changed, true, 'ready: video known, no audio announced');
    const f = reader.tracks[0].format;
    assert.ok(f.codec === 'H265');
    assert.deepEqual([f.parameterSets.vps, f.parameterSets.sps, f.parameterSets.pps], [VPS, SPS, PPS]);
    const frame = reader.read(9, 40, Uint8Array.from([...exHeader(3, 'hvc1'), ...lengthPrefixed(IDR)]));
    assert.deepEqual(frame.units.map((u) => [u.track, u.timestamp, u.keyframe, u.payloads.length]), [[0, 40 * 90, true, 1]]);
    assert.equal(reader.videoCodecName, 'H265');
  });

  test('AV1 and VP9 (enhanced) and legacy VP6 are refused with a reason a person can act on', () => {
    for (const [body, name] of [[Uint8Array.from(exHeader(0, 'av01')), 'av01'], [Uint8Array.from(exHeader(1, 'vp09')), 'vp09'], [Uint8Array.from([0x14, 0]), 'CodecID 4']] as const) {
      const r = new FlvReader().read(9, 0, body);
      assert.equal(r.refuse, `video codec ${name} is not supported (H.264 or H.265 only)`);
      assert.deepEqual(r.units, []);
    }
  });

  test('MP3 audio is listed as unsupported and not waited for', () => {
    const reader = new FlvReader();
    const hevc = Uint8Array.from([...exHeader(0, 'hvc1'), ...serializeHevcDecoderConfig(VPS, SPS, PPS)]);
    reader.read(9, 0, hevc);
    assert.equal(reader.ready, false, 'no metadata: audio is expected');
    reader.read(8, 0, Uint8Array.from([0x2f, 1, 2, 3]));
    assert.equal(reader.ready, true);
    assert.deepEqual(reader.unsupported.map((u) => [u.index, u.media, u.codec]), [[1, 'audio', 'SoundFormat 2']]);
    assert.equal(reader.audioCodecName, 'SoundFormat 2');
    assert.deepEqual(reader.tracks.map((t) => t.format.codec), ['H265']);
  });

  test(`audio announced but never configured: ready after ${FLV_AUDIO_WAIT_MS} ms of media`, () => {
    const reader = new FlvReader();
    reader.read(18, 0, metadata(true));
    reader.read(9, 0, Uint8Array.from([...exHeader(0, 'hvc1'), ...serializeHevcDecoderConfig(VPS, SPS, PPS)]));
    const frame = (ms: number) => reader.read(9, ms, Uint8Array.from([...exHeader(3, 'hvc1'), ...lengthPrefixed(IDR)]));
    assert.equal(frame(FLV_AUDIO_WAIT_MS - 40).changed, false);
    assert.equal(reader.ready, false);
    assert.equal(frame(FLV_AUDIO_WAIT_MS).changed, true);
    assert.equal(frame(FLV_AUDIO_WAIT_MS + 40).changed, false);
  });

  test('a new sequence header after the description is a change; the same one again is not', () => {
    const reader = new FlvReader();
    readAll(reader, tags);
    const header = tags.find((t) => t.tagType === 9);
    assert.ok(header);
    assert.equal(reader.read(9, 10_000, header.data).changed, false);
    assert.equal(reader.read(9, 10_000, Uint8Array.from([...exHeader(0, 'hvc1'), ...serializeHevcDecoderConfig(VPS, SPS, PPS)])).changed, true);
    assert.equal(reader.tracks[0].format.codec, 'H265');
  });

  test(`limits: ${FLV_MAX_NALUS_PER_TAG} NAL units per video tag and AAC frames of ${FLV_MAX_AAC_FRAME} bytes are read, one more is FlvReadError`, () => {
    const reader = new FlvReader();
    readAll(reader, tags);
    assert.equal(reader.ready, true);
    // AVC NALU tag (keyframe, composition 0) of n SEI NAL units, 4-byte lengths (the capture's lengthSizeMinusOne is 3).
    const videoTag = (n: number): Uint8Array => Uint8Array.from([0x17, 1, 0, 0, 0, ...lengthPrefixed(...Array.from({ length: n }, () => Uint8Array.of(6, 5, 1, 0, 0x80)))]);
    const atLimit = reader.read(9, 20_000, videoTag(FLV_MAX_NALUS_PER_TAG));
    assert.equal(atLimit.units[0]?.payloads.length, FLV_MAX_NALUS_PER_TAG);
    assert.throws(() => reader.read(9, 20_040, videoTag(FLV_MAX_NALUS_PER_TAG + 1)), FlvReadError);
    const audioTag = (size: number): Uint8Array => Uint8Array.from([0xaf, 1, ...new Uint8Array(size).fill(0x21)]);
    assert.equal(reader.read(8, 20_000, audioTag(FLV_MAX_AAC_FRAME)).units[0]?.payloads[0].byteLength, FLV_MAX_AAC_FRAME);
    assert.throws(() => reader.read(8, 20_023, audioTag(FLV_MAX_AAC_FRAME + 1)), FlvReadError);
    // The reader still works after the refused tags.
    assert.equal(reader.read(8, 20_046, audioTag(100)).units.length, 1);
  });

  test('bad tags are FlvReadError and leave the reader working; fuzz: nothing else is ever thrown', () => {
    const reader = new FlvReader();
    const header = tags.find((t) => t.tagType === 9);
    assert.ok(header);
    assert.throws(() => reader.read(9, 0, header.data.subarray(0, 9)), FlvReadError);
    assert.throws(() => reader.read(9, 0, Uint8Array.from([0x17, 9, 0, 0, 0])), FlvReadError);
    assert.throws(() => reader.read(8, 0, Uint8Array.from([0xaf, 0, 0xff])), FlvReadError, 'unparsable AudioSpecificConfig');
    readAll(reader, tags);
    assert.equal(reader.ready, true);
    const seeds = tags.slice(0, 40);
    fc.assert(fc.property(
      fc.oneof(
        fc.record({ tagType: fc.constantFrom<FlvTagType>(8, 9, 18), data: fc.uint8Array({ maxLength: 64 }) }),
        fc.tuple(fc.constantFrom(...seeds), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([t, i, v]) => {
          const data = Uint8Array.from(t.data);
          data[i % data.length] = v;
          return { tagType: t.tagType, data };
        }),
      ),
      (t) => {
        try {
          reader.read(t.tagType, 0, t.data);
        } catch (err) {
          assert.ok(err instanceof FlvReadError, String(err));
        }
      },
    ), { numRuns: 1500 });
  });
});
