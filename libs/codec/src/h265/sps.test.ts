import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

const hexToBytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));
import { H265SpsError } from './errors';
import { h265LevelName, h265ProfileName, parseH265Sps } from './sps';

// Each SPS comes from `ffmpeg -f lavfi -i testsrc2=size=WxH:rate=25 -frames:v 1 -pix_fmt P -c:v libx265
// -x265-params log-level=none -f hevc x.hevc` (ffmpeg 5.1.9, x265 3.5); ffprobe's reading beside it.
const table = [
  { name: 'libx265 Main 160x120 4:2:0', hex: '42010101600000030090000003000003001ea014207965959a4932bc05a02000000300200000030321', profile: 'Main', level: '1', width: 160, height: 120, chroma: 1, depth: 8 },
  { name: 'libx265 Main 100x58 (conformance window crops 104x64)', hex: '42010101600000030090000003000003001ea03481077265959ae4caf0168080000003008000000c84', profile: 'Main', level: '1', width: 100, height: 58, chroma: 1, depth: 8 },
  { name: 'libx265 Main 10 1920x1080 (crop 8 rows)', hex: '420101022000000300900000030000030078a003c08010e4d96566924caf016808000003000800000300c840', profile: 'Main 10', level: '4', width: 1920, height: 1080, chroma: 1, depth: 10 },
  { name: 'libx265 Rext 322x240 4:2:2 (horizontal crop in chroma units)', hex: '4201010408000003009d0800000300003cb00a480f1c9e5959a4932bc05a020000030002000003003210', profile: 'Rext', level: '2', width: 322, height: 240, chroma: 2, depth: 8 },
];

describe('parseH265Sps', () => {
  for (const c of table) {
    test(c.name, () => {
      const sps = parseH265Sps(hexToBytes(c.hex));
      assert.equal(h265ProfileName(sps.profileIdc, sps.profileCompatibility), c.profile);
      assert.equal(h265LevelName(sps.levelIdc), c.level);
      assert.equal(sps.width, c.width);
      assert.equal(sps.height, c.height);
      assert.equal(sps.chromaFormatIdc, c.chroma);
      assert.equal(sps.bitDepthLuma, c.depth);
      assert.equal(sps.highTier, false);
    });
  }
  test('names', () => {
    assert.equal(h265LevelName(93), '3.1');
    assert.equal(h265LevelName(153), '5.1');
    assert.equal(h265ProfileName(0, 0x40000000), 'Main');
    assert.equal(h265ProfileName(31), 'profile 31');
  });
  test('not an SPS', () => {
    assert.throws(() => parseH265Sps(hexToBytes('40010c01ffff')), H265SpsError);
    assert.throws(() => parseH265Sps(new Uint8Array([0x42, 0x01])), H265SpsError);
  });
  test('fuzz: truncated or random SPS only throws H265SpsError', () => {
    const bases = table.map((c) => hexToBytes(c.hex));
    fc.assert(fc.property(fc.nat({ max: bases.length - 1 }), fc.nat({ max: 60 }), fc.uint8Array({ maxLength: 20 }), (i, cut, tail) => {
      const base = bases[i];
      const buf = new Uint8Array([...base.subarray(0, Math.min(cut, base.length)), ...tail]);
      try {
        const sps = parseH265Sps(buf);
        assert.ok(sps.width > 0 && sps.height > 0);
      } catch (err) {
        assert.ok(err instanceof H265SpsError, String(err));
      }
    }), { seed: 7798, numRuns: 2000 });
  });
});
