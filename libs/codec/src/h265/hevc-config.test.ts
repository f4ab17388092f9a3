import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { HevcConfigError } from './errors';
import { parseHevcDecoderConfig, serializeHevcDecoderConfig } from './hevc-config';
import { parseH265Sps } from './sps';

const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
// libx265 (ffmpeg 5.1.9, x265 3.5) 160x120 Main: `ffmpeg -f lavfi -i testsrc2=size=160x120:rate=25 -frames:v 1 -c:v libx265 -f hevc x.hevc`.
const VPS = hex('40010c01ffff01600000030090000003000003001e959809');
const SPS = hex('42010101600000030090000003000003001ea014207965959a4932bc05a02000000300200000030321');
const PPS = hex('4401c172b46240');

describe('HEVCDecoderConfigurationRecord', () => {
  it('round trip: the parameter sets come back, profile/level copied from the SPS', () => {
    const record = serializeHevcDecoderConfig(VPS, SPS, PPS);
    const parsed = parseHevcDecoderConfig(record);
    assert.deepEqual([parsed.vps, parsed.sps, parsed.pps], [[VPS], [SPS], [PPS]]);
    assert.equal(parsed.lengthSize, 4);
    assert.equal(record[1] & 0x1f, parseH265Sps(SPS).profileIdc, 'general_profile_idc');
    assert.equal(record[12], parseH265Sps(SPS).levelIdc, 'general_level_idc');
  });

  it('refuses short, wrong-version, truncated and incomplete records with HevcConfigError', () => {
    const record = serializeHevcDecoderConfig(VPS, SPS, PPS);
    assert.throws(() => parseHevcDecoderConfig(record.subarray(0, 22)), HevcConfigError);
    const v2 = record.slice();
    v2[0] = 2;
    assert.throws(() => parseHevcDecoderConfig(v2), /configurationVersion 2/);
    assert.throws(() => parseHevcDecoderConfig(record.subarray(0, record.byteLength - 1)), /overruns/);
    const noPps = record.slice();
    noPps[22] = 2;
    assert.throws(() => parseHevcDecoderConfig(noPps), /0 PPS/);
  });

  it('never throws anything but HevcConfigError and never mutates its input (fuzz seeded from the record)', () => {
    const record = serializeHevcDecoderConfig(VPS, SPS, PPS);
    fc.assert(fc.property(fc.nat(record.byteLength - 1), fc.integer({ min: 0, max: 255 }), fc.nat(record.byteLength), (at, value, cut) => {
      const input = record.slice(0, Math.max(cut, at + 1));
      input[at] = value;
      const copy = input.slice();
      try {
        parseHevcDecoderConfig(input);
      } catch (err) {
        if (!(err instanceof HevcConfigError)) throw err;
      }
      assert.deepEqual(input, copy);
    }));
  });
});
