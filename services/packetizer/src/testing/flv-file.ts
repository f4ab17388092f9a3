/**
 * Test support: reads an FLV file (FLV spec v10.1 Annex E.2-E.3: 9-byte header, then
 * PreviousTagSize0 and (11-byte tag header, data, PreviousTagSize)*) into tags, and makes one
 * with real ffmpeg.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlvTagIn } from '../flv/flv-stream-processor';

export function parseFlvFile(buf: Uint8Array): FlvTagIn[] {
  if (buf.byteLength < 13 || buf[0] !== 0x46 || buf[1] !== 0x4c || buf[2] !== 0x56) throw new Error('not an FLV file');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = view.getUint32(5) + 4;
  const tags: FlvTagIn[] = [];
  while (pos + 11 <= buf.byteLength) {
    const type = buf[pos] & 0x1f;
    const size = (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3];
    const timestamp = ((buf[pos + 7] << 24) | (buf[pos + 4] << 16) | (buf[pos + 5] << 8) | buf[pos + 6]) >>> 0;
    const data = buf.subarray(pos + 11, pos + 11 + size);
    if (type === 8 || type === 9 || type === 18) tags.push({ tagType: type, timestamp, data });
    pos += 11 + size + 4;
  }
  return tags;
}

/** Runs ffmpeg with `args` writing `out.flv` in a scratch directory; returns the file's tags. */
export function makeFlvWithFfmpeg(args: string[]): { tags: FlvTagIn[]; bytes: Uint8Array } {
  const dir = mkdtempSync(join(tmpdir(), 'packetizer-flv-'));
  try {
    const out = join(dir, 'out.flv');
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args, '-f', 'flv', out], { timeout: 60_000, stdio: ['ignore', 'ignore', 'pipe'] });
    const bytes = new Uint8Array(readFileSync(out));
    return { tags: parseFlvFile(bytes), bytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The stream the tests use: H.264 High with B-frames and 1 s GOPs, AAC LC 44.1 kHz stereo. */
export const TEST_FLV_ARGS = [
  '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25',
  '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
  '-c:v', 'libx264', '-profile:v', 'high', '-bf', '2', '-g', '25', '-pix_fmt', 'yuv420p',
  '-c:a', 'aac', '-ac', '2', '-t', '2',
];
