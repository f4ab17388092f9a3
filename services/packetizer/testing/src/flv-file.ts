/** Test support: makes an FLV file with real ffmpeg and reads its tags (protocol-rtmp). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlvFileTag, parseFlvFile } from '@streamgate/protocol-rtmp';
import { AccessUnit, FlvReader, SdpTrack } from '@streamgate/media';
import { SourceFormat, sourceFormatOf } from '@streamgate/contracts';

/** One tag of an FLV file (read by protocol-rtmp's `parseFlvFile`). */
export type FlvTagIn = FlvFileTag;

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

/** An FLV read the way ingest reads an RTMP publication (the media model's FlvReader): formats and codec units. */
export interface FlvUnits {
  tracks: Array<Pick<SdpTrack, 'index' | 'format'>>;
  /** The formats as `source-started` carries them. */
  formats: SourceFormat[];
  units: AccessUnit[];
}

export function readFlvUnits(tags: readonly FlvTagIn[]): FlvUnits {
  const reader = new FlvReader();
  const units = tags.flatMap((t) => reader.read(t.tagType, t.timestamp, t.data).units);
  return { tracks: reader.tracks, formats: reader.tracks.map(sourceFormatOf), units };
}
