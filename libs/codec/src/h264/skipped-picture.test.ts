import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { joinAnnexB, splitAnnexB } from '../annexb';
import { H264SpsError } from './errors';
import { H264NalType, h264NalType } from './nal';
import { h264PpsId, h264SkippedPicture } from './skipped-picture';

/**
 * Judged by a real decoder (ffmpeg's): placed after a picture, the skipped picture decodes to
 * that picture exactly and draws no warning; placed first (a reader's lead-in), the demuxer
 * sees a non-keyframe first and the stream still decodes under -xerror.
 */
const ENCODINGS = [
  { name: 'High, CABAC, B-frames (pic_order_cnt_type 0)', args: ['-profile:v', 'high', '-bf', '2'] },
  { name: 'Baseline, CAVLC (pic_order_cnt_type 2)', args: ['-profile:v', 'baseline'] },
  { name: 'High, interlaced MBAFF (frame_mbs_only_flag 0)', args: ['-profile:v', 'high', '-flags', '+ildct+ilme', '-x264opts', 'tff=1'] },
  { name: 'High 4:4:4 at 720x576', args: ['-profile:v', 'high444', '-pix_fmt', 'yuv444p'], size: '720x576' },
];

function encode(dir: string, name: string, args: string[], size: string, gop: number): Uint8Array[] {
  const file = join(dir, `${name}.h264`);
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25`, '-frames:v', '10', '-c:v', 'libx264', '-g', String(gop), ...args, '-bsf:v', 'h264_mp4toannexb', file]);
  return splitAnnexB(readFileSync(file));
}

/** framemd5 lines (one per decoded frame) and what ffmpeg said at warning level. */
function decode(dir: string, nalus: Uint8Array[], extra: string[] = []): { frames: string[]; log: string } {
  const file = join(dir, 'in.h264');
  writeFileSync(file, joinAnnexB(nalus));
  const out = execFileSync('ffmpeg', ['-v', 'warning', ...extra, '-i', file, '-f', 'framemd5', '-'], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const log = execFileSync('sh', ['-c', `ffmpeg -v warning ${extra.join(' ')} -i ${file} -f null - 2>&1`], { encoding: 'utf8' });
  return { frames: out.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(',').pop()!.trim()), log };
}

const ofType = (nalus: Uint8Array[], type: number): Uint8Array[] => nalus.filter((n) => h264NalType(n) === type);

describe('h264SkippedPicture (ffmpeg decodes it)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamgate-skip-'));
  test.after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [i, e] of ENCODINGS.entries()) {
    test(`${e.name}: a copy of the picture before it, with no warning`, () => {
      const intra = encode(dir, `intra${i}`, e.args, e.size ?? '640x360', 1);
      const sps = ofType(intra, H264NalType.Sps)[0];
      const pps = ofType(intra, H264NalType.Pps);
      const idr = ofType(intra, H264NalType.IdrSlice);
      assert.ok(idr.length >= 2);
      // After the IDR picture (frame_num 0, order count 0).
      const skipped = h264SkippedPicture(sps, pps.map((p) => h264PpsId(p)!), { frameNum: 1, picOrderCntLsb: 2 });
      assert.notEqual(h264PpsId(skipped.pps), h264PpsId(pps[0]), 'a PPS id of its own');
      // One slice per picture here (x264 -threads auto may cut more: take the first picture's).
      const first = intra.slice(0, intra.indexOf(idr[1]));
      const d = decode(dir, [...first, skipped.pps, ...skipped.slices, sps, ...pps, idr[1]]);
      assert.equal(d.frames.length, 3, d.log);
      assert.equal(d.frames[1], d.frames[0], 'the skipped picture repeats its reference');
      assert.notEqual(d.frames[2], d.frames[0]);
      assert.equal(d.log, '');
    });

    test(`${e.name}: as a lead-in, the first packet is a non-keyframe and the stream decodes under -xerror`, () => {
      const stream = encode(dir, `gop${i}`, e.args, e.size ?? '640x360', 250);
      const sps = ofType(stream, H264NalType.Sps)[0];
      const skipped = h264SkippedPicture(sps, ofType(stream, H264NalType.Pps).map((p) => h264PpsId(p)!));
      const plain = decode(dir, stream, ['-xerror']);
      const led = decode(dir, [sps, skipped.pps, ...skipped.slices, ...stream], ['-xerror']);
      assert.deepEqual(led.frames, plain.frames, 'the same pictures, none added');
      const file = join(dir, 'in.h264');
      const flags = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'packet=flags', '-of', 'csv=p=0', file], { encoding: 'utf8' }).split('\n');
      assert.equal(flags[0], '__', 'the first packet the parser splits is not a keyframe');
      assert.match(flags[1], /^K/);
    });
  }

  test('the PPS takes the first id the stream does not use; an SPS that does not parse is an H264SpsError', () => {
    const sps = encode(dir, 'ids', ['-profile:v', 'high'], '320x240', 1).find((n) => h264NalType(n) === H264NalType.Sps)!;
    assert.equal(h264PpsId(h264SkippedPicture(sps, []).pps), 0);
    assert.equal(h264PpsId(h264SkippedPicture(sps, [0, 1, 3]).pps), 2);
    assert.throws(() => h264SkippedPicture(sps, Array.from({ length: 256 }, (_, id) => id)), H264SpsError);
    assert.throws(() => h264SkippedPicture(sps.subarray(0, 4), []), H264SpsError);
    assert.equal(h264PpsId(new Uint8Array([0x68])), undefined);
    assert.equal(h264PpsId(sps), undefined);
  });
});
