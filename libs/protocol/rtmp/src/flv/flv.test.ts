import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { amf0Property } from '../amf0/amf0-types';
import { Amf0Error } from '../amf0/amf0-error';
import { ChunkDecoder } from '../chunk/chunk-decoder';
import { AudioSpecificConfigError, AvcConfigError, NalFramingError, parseAudioSpecificConfig, parseAvcDecoderConfig, splitAvcc } from '@streamgate/codec';
import { parseAudioTag } from './audio-tag';
import { parseFlvFile } from './flv-file';
import { FlvError } from './flv-error';
import { parseScriptTag } from './script-tag';
import { AvcVideoTag, parseVideoTag } from './video-tag';

const FIXTURES = join(__dirname, '../../../../../../libs/protocol/rtmp/fixtures');
const messages = new ChunkDecoder().push(new Uint8Array(readFileSync(join(FIXTURES, 'ffmpeg-5.1-publish.bin'))).subarray(3073));
const video = messages.filter((m) => m.typeId === 9).map((m) => m.payload);
const audio = messages.filter((m) => m.typeId === 8).map((m) => m.payload);
const script = messages.filter((m) => m.typeId === 18).map((m) => m.payload);

function avc(body: Uint8Array): AvcVideoTag {
  const tag = parseVideoTag(body);
  assert.equal(tag.codec, 'avc');
  return tag as AvcVideoTag;
}

describe('FLV tags from ffmpeg 5.1 (libx264 High, -bf 2, AAC 44.1 kHz)', () => {
  test('AVC sequence header → AVCDecoderConfigurationRecord: High@1.3, 4-byte lengths, 1 SPS, 1 PPS', () => {
    const tag = avc(video[0]);
    assert.equal(tag.packetType, 'sequence-header');
    assert.equal(tag.keyframe, true);
    const rec = parseAvcDecoderConfig(tag.data);
    assert.equal(rec.profileIndication, 100);
    assert.equal(rec.levelIndication, 13);
    assert.equal(rec.lengthSize, 4);
    assert.equal(rec.sps.length, 1);
    assert.equal(rec.pps.length, 1);
    assert.equal(rec.sps[0][0] & 0x1f, 7);
    assert.equal(rec.pps[0][0] & 0x1f, 8);
  });

  test('first NALU tag is a keyframe with SEI + IDR and composition offset 80 ms', () => {
    const tag = avc(video[1]);
    assert.equal(tag.packetType, 'nalu');
    assert.equal(tag.keyframe, true);
    assert.equal(tag.compositionTime, 80);
    const types = splitAvcc(tag.data, 4).map((n) => n[0] & 0x1f);
    assert.deepEqual(types, [6, 5]);
  });

  test('B-frames give non-zero composition offsets; every NALU tag splits cleanly', () => {
    const ctss = video.slice(1).map((b) => avc(b).compositionTime);
    assert.deepEqual([...new Set(ctss)].sort((a, b) => a - b), [40, 80, 120, 160]);
    for (const b of video.slice(1)) assert.ok(splitAvcc(avc(b).data, 4).length >= 1);
  });

  test('AAC sequence header → AudioSpecificConfig: AAC LC, 44100 Hz, mono', () => {
    const tag = parseAudioTag(audio[0]);
    assert.equal(tag.codec, 'aac');
    assert.equal(tag.codec === 'aac' && tag.packetType, 'sequence-header');
    const asc = parseAudioSpecificConfig(tag.data);
    assert.deepEqual([asc.objectType, asc.sampleRate, asc.channels], [2, 44100, 1]);
    const raw = parseAudioTag(audio[1]);
    assert.equal(raw.codec === 'aac' && raw.packetType, 'raw');
  });

  test('@setDataFrame onMetaData', () => {
    const meta = parseScriptTag(script[0]);
    assert.equal(meta.setDataFrame, true);
    assert.equal(meta.name, 'onMetaData');
    assert.equal(amf0Property(meta.value, 'width'), 320);
    assert.equal(amf0Property(meta.value, 'videocodecid'), 7);
    assert.equal(amf0Property(meta.value, 'audiosamplerate'), 44100);
  });

  test('parsers return views and never mutate their input', () => {
    const copies = video.map((b) => b.slice());
    const tag = avc(video[1]);
    assert.equal(tag.data.buffer, video[1].buffer);
    splitAvcc(tag.data, 4);
    parseAvcDecoderConfig(avc(video[0]).data);
    assert.deepEqual(video, copies);
  });
});

describe('FLV decode-only cases', () => {
  test('negative composition time (SI24 sign extension)', () => {
    assert.equal(avc(Uint8Array.of(0x27, 1, 0xff, 0xff, 0xd8)).compositionTime, -40);
  });

  test('legacy HEVC (CodecID 12) reads like AVC', () => {
    const tag = parseVideoTag(Uint8Array.of(0x1c, 1, 0, 0, 40, 9, 9));
    assert.deepEqual(tag, { codec: 'hevc', enhanced: false, frameType: 1, keyframe: true, packetType: 'nalu', compositionTime: 40, data: Uint8Array.of(9, 9) });
  });

  // Enhanced RTMP tags built from the spec's ExVideoTagHeader (veovera enhanced-rtmp v1): no
  // publisher on this machine sends them (Debian's ffmpeg is 5.1; hvc1 in FLV came with 6.1).
  test('enhanced "hvc1": SequenceStart, CodedFrames with SI24 composition time, CodedFramesX without', () => {
    const hvc1 = [0x68, 0x76, 0x63, 0x31];
    assert.deepEqual(parseVideoTag(Uint8Array.of(0x90, ...hvc1, 1, 2)), {
      codec: 'hevc', enhanced: true, frameType: 1, keyframe: true, packetType: 'sequence-header', compositionTime: 0, data: Uint8Array.of(1, 2),
    });
    assert.deepEqual(parseVideoTag(Uint8Array.of(0x91, ...hvc1, 0xff, 0xff, 0xd8, 7)), {
      codec: 'hevc', enhanced: true, frameType: 1, keyframe: true, packetType: 'nalu', compositionTime: -40, data: Uint8Array.of(7),
    });
    assert.deepEqual(parseVideoTag(Uint8Array.of(0xa3, ...hvc1, 7, 8)), {
      codec: 'hevc', enhanced: true, frameType: 2, keyframe: false, packetType: 'nalu', compositionTime: 0, data: Uint8Array.of(7, 8),
    });
    assert.equal((parseVideoTag(Uint8Array.of(0x92, ...hvc1)) as AvcVideoTag).packetType, 'end-of-sequence');
    assert.equal((parseVideoTag(Uint8Array.of(0x94, ...hvc1, 2)) as AvcVideoTag).packetType, 'metadata');
    assert.throws(() => parseVideoTag(Uint8Array.of(0x91, ...hvc1, 0)), FlvError, 'CodedFrames needs its SI24');
    assert.throws(() => parseVideoTag(Uint8Array.of(0x95, ...hvc1)), FlvError);
  });

  test('enhanced "av01" and "vp09" and legacy VP6 are reported unsupported, not errors', () => {
    assert.deepEqual(parseVideoTag(Uint8Array.of(0x90, 0x61, 0x76, 0x30, 0x31, 1)), { codec: 'unsupported', frameType: 1, fourCc: 'av01', name: 'av01' });
    assert.deepEqual(parseVideoTag(Uint8Array.of(0x91, 0x76, 0x70, 0x30, 0x39)), { codec: 'unsupported', frameType: 1, fourCc: 'vp09', name: 'vp09' });
    assert.deepEqual(parseVideoTag(Uint8Array.of(0x14, 0)), { codec: 'unsupported', frameType: 1, codecId: 4, name: 'CodecID 4' });
  });

  test('AudioSpecificConfig with escape object type and explicit frequency', () => {
    // objectType 31 → 32 + 10 = 42; index 15 → explicit 12345 Hz; channels 2
    const bits = '11111' + '001010' + '1111' + (12345).toString(2).padStart(24, '0') + '0010';
    const bytes = Uint8Array.from(bits.padEnd(48, '0').match(/.{8}/g) ?? [], (b) => parseInt(b, 2));
    const asc = parseAudioSpecificConfig(bytes);
    assert.deepEqual([asc.objectType, asc.sampleRate, asc.channels], [42, 12345, 2]);
  });

  const ERRORS: [string, () => unknown][] = [
    ['empty video tag', () => parseVideoTag(new Uint8Array(0))],
    ['AVC tag shorter than 5 bytes', () => parseVideoTag(Uint8Array.of(0x17, 1))],
    ['unknown AVCPacketType', () => parseVideoTag(Uint8Array.of(0x17, 9, 0, 0, 0))],
    ['record version 0', () => parseAvcDecoderConfig(Uint8Array.of(0, 100, 0, 31, 0xff, 0xe1, 0))],
    ['SPS longer than the record', () => parseAvcDecoderConfig(Uint8Array.of(1, 100, 0, 31, 0xff, 0xe1, 0, 9, 0x67))],
    ['NALU length beyond the data', () => splitAvcc(Uint8Array.of(0, 0, 0, 9, 0x65), 4)],
    ['truncated NALU length', () => splitAvcc(Uint8Array.of(0, 0, 0, 1, 0x65, 0), 4)],
    ['AudioSpecificConfig of one byte', () => parseAudioSpecificConfig(Uint8Array.of(0x12))],
    ['reserved frequency index 13', () => parseAudioSpecificConfig(Uint8Array.of(0x16, 0x88))],
  ];
  for (const [name, fn] of ERRORS) test(`typed error: ${name}`, () => assert.throws(fn, isTyped));

  test('NALU count is bounded', () => {
    const tenNalus = Uint8Array.from({ length: 50 }, (_x, i) => (i % 5 === 3 ? 1 : i % 5 === 4 ? 0x65 : 0));
    assert.throws(() => splitAvcc(tenNalus, 4, 5), /more than 5 NAL units/);
  });
});

describe('FLV fuzz (seeded from the ffmpeg tags)', () => {
  const seeds = [...video.slice(0, 6), ...audio.slice(0, 3), script[0]];
  test('mutated tags only throw FlvError/Amf0Error', () => {
    fc.assert(fc.property(
      fc.constantFrom(...seeds),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      fc.nat(),
      (seed, edits, cut) => {
        const b = seed.slice(0, 1 + (cut % seed.byteLength));
        for (const [at, v] of edits) b[at % b.byteLength] = v;
        try {
          const v = parseVideoTag(b);
          if (v.codec === 'avc' && v.packetType === 'sequence-header') parseAvcDecoderConfig(v.data);
          if (v.codec === 'avc' && v.packetType === 'nalu') splitAvcc(v.data, 4);
          const a = parseAudioTag(b);
          if (a.codec === 'aac' && a.packetType === 'sequence-header') parseAudioSpecificConfig(a.data);
        } catch (err) {
          assert.ok(isTyped(err), String(err));
        }
        try {
          parseScriptTag(b);
        } catch (err) {
          assert.ok(err instanceof FlvError || err instanceof Amf0Error, String(err));
        }
      },
    ), { numRuns: 500 });
  });
});

/** FLV framing errors, and the codec library's errors for the AVC/AAC structures inside tags. */
function isTyped(err: unknown): boolean {
  return err instanceof FlvError || err instanceof Amf0Error || err instanceof AvcConfigError
    || err instanceof AudioSpecificConfigError || err instanceof NalFramingError;
}

describe('FLV file (Annex E.2-E.3)', () => {
  /** An FLV file of the fixture's tags, written as the spec lays it out. */
  function flvFile(tags: Array<{ type: number; ts: number; data: Uint8Array }>): Uint8Array {
    const parts: number[] = [0x46, 0x4c, 0x56, 1, 5, 0, 0, 0, 9, 0, 0, 0, 0];
    for (const t of tags) {
      const n = t.data.byteLength;
      parts.push(t.type, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff, (t.ts >> 16) & 0xff, (t.ts >> 8) & 0xff, t.ts & 0xff, (t.ts >>> 24) & 0xff, 0, 0, 0, ...t.data);
      const prev = n + 11;
      parts.push((prev >>> 24) & 0xff, (prev >> 16) & 0xff, (prev >> 8) & 0xff, prev & 0xff);
    }
    return Uint8Array.from(parts);
  }

  test('reads back the fixture tags with their types, 32-bit timestamps and bodies', () => {
    const tags = messages.filter((m) => m.typeId === 8 || m.typeId === 9 || m.typeId === 18).slice(0, 40).map((m, i) => ({ type: m.typeId, ts: i === 3 ? 0x01000010 : m.timestamp, data: m.payload }));
    const back = parseFlvFile(flvFile(tags));
    assert.deepEqual(back.map((t) => [t.tagType, t.timestamp, t.data.byteLength]), tags.map((t) => [t.type, t.ts, t.data.byteLength]));
    assert.deepEqual(back[5].data, tags[5].data);
  });

  test('refuses what is not FLV; a truncated last tag ends the read; never throws anything but FlvError (fuzz)', () => {
    assert.throws(() => parseFlvFile(Uint8Array.of(1, 2, 3)), FlvError);
    const file = flvFile(video.slice(0, 5).map((data, i) => ({ type: 9, ts: i * 40, data })));
    assert.equal(parseFlvFile(file.subarray(0, file.byteLength - 10)).length, 4);
    fc.assert(fc.property(fc.nat(file.byteLength - 1), fc.integer({ min: 0, max: 255 }), (at, v) => {
      const mutated = file.slice();
      mutated[at] = v;
      try {
        parseFlvFile(mutated);
      } catch (err) {
        if (!(err instanceof FlvError)) throw err;
      }
    }));
  });
});
