import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseAvcDecoderConfig } from '@streamgate/codec';
import { Box, serializeBoxes } from './box';
import { BoxParseError, ParsedBox, findBox, readBoxes } from './box-reader';
import { avcCodecString, hevcCodecString } from './codec-config';
import { buildFragment, NON_SYNC_SAMPLE_FLAGS, SYNC_SAMPLE_FLAGS } from './fragment';
import { buildInitSegment } from './init-segment';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
// SPS vectors from libs/codec's SPS tables (libx264/libx265 via ffmpeg lavfi, commands there);
// the VPS and PPS bytes are opaque to the writer and only copied.
const H264_SPS = hex('6764001eacd940b424d8088000000300800000190f8a14cb'); // High 720x576
const H264_PPS = hex('68ebecb22c');
const H265_VPS = hex('40010c01ffff016000000300900000030000030078959809');
const H265_SPS = hex('42010101600000030090000003000003001ea014207965959a4932bc05a02000000300200000030321'); // Main 160x120
const H265_PPS = hex('4401c172b46240');
const AAC_LC_48K_STEREO = hex('1190');

const u32 = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(at);
const fourcc = (b: Uint8Array, at: number): string => String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);
const must = (box: ParsedBox | undefined, what: string): ParsedBox => {
  assert.ok(box, `${what} present`);
  return box;
};

describe('init segment (ftyp + moov)', () => {
  const init = buildInitSegment([
    { id: 1, timescale: 90000, codec: { codec: 'h264', config: { sps: [H264_SPS], pps: [H264_PPS] }, width: 720, height: 576 } },
    { id: 2, timescale: 48000, codec: { codec: 'aac', audioSpecificConfig: AAC_LC_48K_STEREO, sampleRate: 48000, channels: 2 } },
  ]);
  const boxes = readBoxes(init);

  test('ftyp then moov, nothing else; ftyp brands are CMAF-compatible', () => {
    assert.deepEqual(boxes.map((b) => b.type), ['ftyp', 'moov']);
    const ftyp = boxes[0].body;
    assert.equal(fourcc(ftyp, 0), 'iso5');
    assert.ok([8, 12, 16, 20].map((o) => fourcc(ftyp, o)).includes('cmfc'));
  });

  test('one trak per track with tkhd ids, mdhd timescales and handlers; mvex has a trex each', () => {
    const moov = boxes[1];
    const traks = moov.children.filter((b) => b.type === 'trak');
    assert.equal(traks.length, 2);
    const ids = traks.map((t) => u32(must(findBox(t.children, 'tkhd'), 'tkhd').body, 4 + 8));
    assert.deepEqual(ids, [1, 2]);
    const timescales = traks.map((t) => u32(must(findBox(t.children, 'mdia', 'mdhd'), 'mdhd').body, 4 + 8));
    assert.deepEqual(timescales, [90000, 48000]);
    const handlers = traks.map((t) => fourcc(must(findBox(t.children, 'mdia', 'hdlr'), 'hdlr').body, 8));
    assert.deepEqual(handlers, ['vide', 'soun']);
    const tkhd = must(findBox(traks[0].children, 'tkhd'), 'tkhd').body;
    assert.equal(u32(tkhd, tkhd.byteLength - 8), 720 << 16);
    assert.equal(u32(tkhd, tkhd.byteLength - 4), 576 << 16);
    const trex = must(findBox(moov.children, 'mvex'), 'mvex').children.filter((b) => b.type === 'trex');
    assert.deepEqual(trex.map((t) => u32(t.body, 4)), [1, 2]);
    // Empty sample tables: every sample is in fragments.
    for (const t of ['stts', 'stsc', 'stco']) assert.equal(u32(must(findBox(traks[0].children, 'mdia', 'minf', 'stbl', t), t).body, 4), 0);
  });

  test('avc1 carries an avcC that parses back to the same SPS/PPS with 4-byte lengths', () => {
    const avc1 = must(findBox(boxes, 'moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd', 'avc1'), 'avc1');
    assert.equal((avc1.body[24] << 8) | avc1.body[25], 720);
    assert.equal((avc1.body[26] << 8) | avc1.body[27], 576);
    const avcC = must(findBox(avc1.children, 'avcC'), 'avcC');
    const config = parseAvcDecoderConfig(avcC.body);
    assert.equal(config.lengthSize, 4);
    assert.equal(config.profileIndication, 0x64);
    assert.deepEqual([...config.sps[0]], [...H264_SPS]);
    assert.deepEqual([...config.pps[0]], [...H264_PPS]);
  });

  test('mp4a carries an esds whose DecoderSpecificInfo is the AudioSpecificConfig', () => {
    const trak = boxes[1].children.filter((b) => b.type === 'trak')[1];
    const mp4a = must(findBox(trak.children, 'mdia', 'minf', 'stbl', 'stsd', 'mp4a'), 'mp4a');
    assert.equal((mp4a.body[16] << 8) | mp4a.body[17], 2, 'channelcount');
    assert.equal(u32(mp4a.body, 24) >>> 16, 48000, 'samplerate 16.16');
    const esds = must(findBox(mp4a.children, 'esds'), 'esds').body;
    // Tag 0x05 (DecoderSpecificInfo), 4-byte expandable length 2, then the ASC.
    const at = Buffer.from(esds).indexOf(Buffer.from([0x05, 0x80, 0x80, 0x80, 0x02]));
    assert.ok(at > 0);
    assert.deepEqual([...esds.subarray(at + 5, at + 7)], [...AAC_LC_48K_STEREO]);
    assert.ok(esds.includes(0x40), 'objectTypeIndication 0x40 (MPEG-4 audio)');
  });

  test('hev1 carries an hvcC with profile_tier_level from the SPS and VPS/SPS/PPS arrays', () => {
    const hevc = readBoxes(buildInitSegment([{
      id: 1, timescale: 90000,
      codec: { codec: 'h265', config: { vps: [H265_VPS], sps: [H265_SPS], pps: [H265_PPS], chromaFormatIdc: 1, bitDepthLuma: 8, bitDepthChroma: 8 }, width: 160, height: 120 },
    }]));
    const hev1 = must(findBox(hevc, 'moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd', 'hev1'), 'hev1');
    const hvcC = must(findBox(hev1.children, 'hvcC'), 'hvcC').body;
    assert.equal(hvcC[0], 1, 'configurationVersion');
    assert.equal(hvcC[1], 0x01, 'profile_space 0, tier 0, profile_idc 1 (Main)');
    assert.equal(u32(hvcC, 2), 0x60000000, 'compatibility flags 1 and 2');
    assert.equal(hvcC[12], 30, 'general_level_idc');
    assert.equal(hvcC[16] & 0x03, 1, 'chroma 4:2:0');
    assert.equal(hvcC[21] & 0x03, 3, 'lengthSizeMinusOne');
    assert.equal(hvcC[22], 3, 'three arrays');
    assert.equal(hvcC[23] & 0x3f, 32, 'VPS array first');
  });

  test('codec strings (RFC 6381; ISO/IEC 14496-15 Annex E)', () => {
    assert.equal(avcCodecString(H264_SPS), 'avc1.64001e');
    assert.equal(hevcCodecString(H265_SPS), 'hev1.1.6.L30.90');
    assert.equal(hevcCodecString(H265_SPS, 'hvc1'), 'hvc1.1.6.L30.90');
  });
});

describe('fragment (moof + mdat)', () => {
  const idr = [hex('65888400'), hex('0102')];
  const p = [hex('419a')];
  const aac = hex('21100540');
  const baseDts = 2 ** 33 + 5; // past 32 bits: tfdt must be version 1
  const frag = buildFragment(7, [
    {
      id: 1, baseMediaDecodeTime: baseDts,
      samples: [
        { duration: 3000, compositionOffset: 6000, keyframe: true, chunks: idr, nalUnits: true },
        { duration: 3000, compositionOffset: -3000, keyframe: false, chunks: p, nalUnits: true },
      ],
    },
    { id: 2, baseMediaDecodeTime: 1024, samples: [{ duration: 1024, compositionOffset: 0, keyframe: true, chunks: [aac], nalUnits: false }] },
  ]);
  const boxes = readBoxes(frag);
  const moof = boxes[0];
  const mdat = boxes[1];

  test('moof then mdat; mfhd sequence number', () => {
    assert.deepEqual(boxes.map((b) => b.type), ['moof', 'mdat']);
    assert.equal(u32(must(findBox(moof.children, 'mfhd'), 'mfhd').body, 4), 7);
  });

  test('tfhd default-base-is-moof, tfdt v1 64-bit decode time', () => {
    const trafs = moof.children.filter((b) => b.type === 'traf');
    assert.equal(trafs.length, 2);
    const tfhd = must(findBox(trafs[0].children, 'tfhd'), 'tfhd').body;
    assert.equal(u32(tfhd, 0) & 0xffffff, 0x020000);
    assert.equal(u32(tfhd, 4), 1);
    const tfdt = must(findBox(trafs[0].children, 'tfdt'), 'tfdt').body;
    assert.equal(tfdt[0], 1, 'version 1');
    assert.equal(u32(tfdt, 4) * 2 ** 32 + u32(tfdt, 8), baseDts);
  });

  test('trun v1: durations, sizes with length prefixes, sync flags and signed composition offsets', () => {
    const trun = must(findBox(moof.children.filter((b) => b.type === 'traf')[0].children, 'trun'), 'trun').body;
    assert.equal(trun[0], 1, 'version 1 (signed offsets)');
    assert.equal(u32(trun, 0) & 0xffffff, 0x000f01);
    assert.equal(u32(trun, 4), 2, 'sample_count');
    const dataOffset = u32(trun, 8) | 0;
    const row = (i: number): number[] => [0, 4, 8, 12].map((o) => u32(trun, 12 + i * 16 + o));
    assert.deepEqual(row(0), [3000, 4 + 4 + 4 + 2, SYNC_SAMPLE_FLAGS, 6000]);
    assert.deepEqual(row(1), [3000, 4 + 2, NON_SYNC_SAMPLE_FLAGS, (-3000) >>> 0]);
    // data_offset counts from the moof's first byte to the first sample in the mdat.
    assert.equal(dataOffset, mdat.offset + 8);
    assert.equal(u32(frag, dataOffset), 4, 'first NAL length');
    assert.deepEqual([...frag.subarray(dataOffset + 4, dataOffset + 8)], [...idr[0]]);
    const audioTrun = must(findBox(moof.children.filter((b) => b.type === 'traf')[1].children, 'trun'), 'trun').body;
    const audioOffset = u32(audioTrun, 8);
    assert.equal(audioOffset, dataOffset + 14 + 6, 'audio follows the video samples');
    assert.deepEqual([...frag.subarray(audioOffset, audioOffset + 4)], [...aac], 'AAC written raw, no length prefix');
    assert.equal(mdat.size, 8 + 14 + 6 + 4);
  });

  test('a fragment without samples is refused', () => {
    assert.throws(() => buildFragment(1, [{ id: 1, baseMediaDecodeTime: 0, samples: [] }]), /at least one sample/);
  });
});

describe('box reader (fuzz)', () => {
  const boxArb: fc.Arbitrary<Box> = fc.letrec<{ box: Box }>((tie) => ({
    box: fc.record({
      type: fc.constantFrom('moov', 'trak', 'free', 'abcd', 'moof', 'traf'),
      body: fc.option(fc.uint8Array({ maxLength: 16 }), { nil: undefined }),
      children: fc.option(fc.array(tie('box'), { maxLength: 3 }), { nil: undefined }),
    }).map((b) => (b.type === 'free' || b.type === 'abcd' ? { type: b.type, body: b.body } : { type: b.type, children: b.children })),
  })).box;

  test('what the writer writes, the reader reads back box for box', () => {
    fc.assert(fc.property(fc.array(boxArb, { minLength: 1, maxLength: 4 }), (tree) => {
      const bytes = serializeBoxes(tree);
      const shape = (b: Box): unknown => [b.type, (b.children ?? []).map(shape)];
      const parsedShape = (b: ParsedBox): unknown => [b.type, b.children.map(parsedShape)];
      assert.deepEqual(readBoxes(bytes).map(parsedShape), tree.map(shape));
    }));
  });

  test('random and damaged input: a value or BoxParseError, never another error, input untouched', () => {
    const seed = serializeBoxes([{ type: 'moov', children: [{ type: 'trak', children: [{ type: 'free', body: hex('0102') }] }] }]);
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.tuple(fc.nat(seed.length - 1), fc.nat(255)).map(([i, v]) => {
      const b = seed.slice();
      b[i] = v;
      return b;
    })), (input) => {
      const copy = input.slice();
      try {
        readBoxes(input);
      } catch (err) {
        assert.ok(err instanceof BoxParseError, String(err));
      }
      assert.deepEqual(input, copy);
    }));
  });
});
