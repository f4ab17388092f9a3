import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

const hexToBytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));
import { AvcConfigError, H264SpsError } from './errors';
import { parseAvcDecoderConfig } from './avc-config';
import { h264LevelName, h264ProfileName, parseH264Sps } from './sps';

// Each SPS comes from `ffmpeg -f lavfi -i testsrc2=size=WxH:rate=R -c:v libx264 ... -frames:v 1 x.h264`.
const table = [
  { name: 'libx264 main 1920x1080@30 (crop 8 rows)', hex: '674d4028eca03c0113f2e022000003000200000300781e30632c', profile: 77, level: 40, width: 1920, height: 1080, fps: 30 },
  { name: 'libx264 high 720x576@25 interlaced (-flags +ildct+ilme)', hex: '6764001eacd940b424d8088000000300800000190f8a14cb', profile: 100, level: 30, width: 720, height: 576, fps: 25, frameMbsOnly: false },
  { name: 'libx264 high 160x120 (from h264-ffmpeg-fua.json)', hex: '6764000bacd942847e5c0440000003004000000c83c50a658', profile: 100, level: 11, width: 160, height: 120 },
];

describe('parseH264Sps', () => {
  for (const c of table) {
    test(c.name, () => {
      const sps = parseH264Sps(hexToBytes(c.hex));
      assert.equal(sps.profileIdc, c.profile);
      assert.equal(sps.levelIdc, c.level);
      assert.equal(sps.width, c.width);
      assert.equal(sps.height, c.height);
      if (c.fps !== undefined) assert.equal(sps.frameRate, c.fps);
      if (c.frameMbsOnly === false) assert.equal(sps.frameMbsOnly, false);
    });
  }
  test('names', () => {
    assert.equal(h264ProfileName(100), 'High');
    assert.equal(h264ProfileName(66, 0xc0), 'Constrained Baseline');
    assert.equal(h264LevelName(31), '3.1');
  });
  test('fuzz: truncated or random SPS only throws H264SpsError', () => {
    const base = hexToBytes(table[0].hex);
    fc.assert(fc.property(fc.nat({ max: base.length }), fc.uint8Array({ maxLength: 20 }), (cut, tail) => {
      const buf = new Uint8Array([...base.subarray(0, cut), ...tail]);
      try {
        parseH264Sps(buf);
      } catch (err) {
        assert.ok(err instanceof H264SpsError);
      }
    }), { seed: 5, numRuns: 500 });
  });
});

describe('parseAvcDecoderConfig', () => {
  // Record built around the 720x576 SPS above and the PPS of h264-ffmpeg-fua.json.
  const record = hexToBytes('0164001effe100186764001eacd940b424d8088000000300800000190f8a14cb01000668ebe3cb22c0');
  test('SPS, PPS and NAL length size', () => {
    const c = parseAvcDecoderConfig(record);
    assert.equal(c.lengthSize, 4);
    assert.equal(c.profileIndication, 0x64);
    assert.equal(c.sps.length, 1);
    assert.equal(c.sps[0][0], 0x67);
    assert.deepEqual([...c.pps[0]], [0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0]);
  });
  test('truncated records are typed errors', () => {
    for (let n = 0; n < record.length - 1; n++) {
      assert.throws(() => parseAvcDecoderConfig(record.subarray(0, n)), AvcConfigError, `cut at ${n}`);
    }
  });
});
