import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { joinAnnexB, splitAnnexB } from '../annexb';
import { H265SpsError } from './errors';
import { H265NalType, h265NalType } from './nal';
import { h265PpsId, h265SkippedPicture, parseH265SliceFields } from './skipped-picture';

/**
 * Judged by a real decoder (ffmpeg's): after a picture, the skipped picture decodes to that
 * picture exactly and draws no warning, whatever the CTU size, coding block size, SAO or
 * scaling lists (its CABAC bins are right); first in a stream (a reader's lead-in), the
 * demuxer sees a non-keyframe first and the pictures after it decode as without it.
 */
const ENCODINGS = [
  { name: 'x265 defaults: 64x64 CTUs, SAO, TMVP, B-frames, 640x360 (a partial CTU row)', params: '', size: '640x360' },
  { name: '32x32 CTUs, 16x16 smallest coding blocks, 1280x720', params: 'ctu=32:min-cu-size=16', size: '1280x720' },
  { name: 'no SAO, default scaling lists', params: 'no-sao=1:scaling-list=default', size: '640x360' },
  { name: '16x16 CTUs, 4:2:2 10-bit, 328x248', params: 'ctu=16', size: '328x248', pixFmt: 'yuv422p10le' },
];

function encode(dir: string, name: string, e: (typeof ENCODINGS)[number], keyint: number): Uint8Array[] {
  const file = join(dir, `${name}.hevc`);
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${e.size}:rate=25`, '-frames:v', '12', '-pix_fmt', e.pixFmt ?? 'yuv420p',
    '-c:v', 'libx265', '-x265-params', `log-level=none:keyint=${keyint}${e.params ? `:${e.params}` : ''}`, '-f', 'hevc', file]);
  return splitAnnexB(readFileSync(file));
}

function decode(dir: string, nalus: Uint8Array[], extra: string[] = []): { frames: string[]; log: string } {
  const file = join(dir, 'in.hevc');
  writeFileSync(file, joinAnnexB(nalus));
  const out = execFileSync('ffmpeg', ['-v', 'warning', ...extra, '-i', file, '-f', 'framemd5', '-'], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const log = execFileSync('sh', ['-c', `ffmpeg -v warning ${extra.join(' ')} -i ${file} -f null - 2>&1`], { encoding: 'utf8' });
  return { frames: out.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(',').pop()!.trim()), log };
}

const ofType = (nalus: Uint8Array[], type: number): Uint8Array[] => nalus.filter((n) => h265NalType(n) === type);
const isIrap = (n: Uint8Array): boolean => h265NalType(n) >= 16 && h265NalType(n) <= 23;

describe('h265SkippedPicture (ffmpeg decodes it)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamgate-skip265-'));
  test.after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [i, e] of ENCODINGS.entries()) {
    test(`${e.name}: a copy of the picture before it, with no warning`, () => {
      const stream = encode(dir, `gop${i}`, e, 250);
      const sps = ofType(stream, H265NalType.Sps)[0];
      const pps = ofType(stream, H265NalType.Pps);
      const skipped = h265SkippedPicture(sps, pps.map((p) => h265PpsId(p)!), 1);
      assert.notEqual(h265PpsId(skipped.pps), h265PpsId(pps[0]), 'a PPS id of its own');
      // The IRAP picture (order count 0), then the skipped one referring to it.
      const irap = stream.findIndex(isIrap);
      const firstPicture = stream.slice(0, stream.findIndex((n, k) => k > irap && h265NalType(n) < H265NalType.Vps));
      const d = decode(dir, [...firstPicture, skipped.pps, skipped.slice]);
      assert.equal(d.frames.length, 2, d.log);
      assert.equal(d.frames[1], d.frames[0], 'the skipped picture repeats its reference');
      assert.equal(d.log, '');
    });

    test(`${e.name}: as a lead-in, the first packet is a non-keyframe and the pictures after it decode as without it`, () => {
      const stream = encode(dir, `gop${i}`, e, 250);
      const sets = stream.filter((n) => h265NalType(n) >= H265NalType.Vps && h265NalType(n) <= H265NalType.Pps).slice(0, 3);
      const skipped = h265SkippedPicture(ofType(stream, H265NalType.Sps)[0], ofType(stream, H265NalType.Pps).map((p) => h265PpsId(p)!));
      const plain = decode(dir, stream, ['-xerror']);
      const led = decode(dir, [...sets, skipped.pps, skipped.slice, ...stream], ['-xerror']);
      assert.deepEqual(led.frames.slice(1), plain.frames, 'the same pictures after the lead-in');
      assert.equal(led.frames.length, plain.frames.length + 1, 'the lead-in is output (a grey picture)');
      const flags = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'packet=flags', '-of', 'csv=p=0', join(dir, 'in.hevc')], { encoding: 'utf8' }).split('\n');
      assert.equal(flags[0], '__', 'the first packet the parser splits is not a keyframe');
      assert.match(flags[1], /^K/);
    });
  }

  test('the PPS takes the first id the stream does not use; an SPS cut short is an H265SpsError, never another error', () => {
    const sps = ofType(encode(dir, 'ids', ENCODINGS[0], 1), H265NalType.Sps)[0];
    assert.equal(h265PpsId(h265SkippedPicture(sps, []).pps), 0);
    assert.equal(h265PpsId(h265SkippedPicture(sps, [0, 1, 3]).pps), 2);
    assert.throws(() => h265SkippedPicture(sps, Array.from({ length: 64 }, (_, id) => id)), H265SpsError);
    assert.equal(h265PpsId(sps), undefined);
    fc.assert(fc.property(fc.nat({ max: sps.byteLength }), fc.uint8Array({ maxLength: 24 }), (cut, tail) => {
      try {
        parseH265SliceFields(new Uint8Array([...sps.subarray(0, cut), ...tail]));
      } catch (err) {
        assert.ok(err instanceof H265SpsError, String(err));
      }
    }), { seed: 7798, numRuns: 1000 });
  });
});
