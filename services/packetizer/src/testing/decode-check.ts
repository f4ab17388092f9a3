/**
 * Test support: what real decoders say about our output. Depacketizes our access units with
 * the library decoders (an independent path from the encoders that made them) and has
 * ffmpeg (-xerror: any decode error fails) and ffprobe (-count_frames) check the bytes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { H264Decoder, H265Decoder, joinAnnexB, parseRtpPacket } from '@streamgate/protocol-rtp';

export type VideoFormat = 'h264' | 'hevc';

/** Decodes our RTP packets (in send order) back into access units of NAL units. */
export function depacketizeVideo(packets: readonly Uint8Array[], format: VideoFormat): Uint8Array[][] {
  const decoder = format === 'h264' ? new H264Decoder() : new H265Decoder();
  const out: Uint8Array[][] = [];
  for (const bytes of packets) {
    const r = decoder.decode(parseRtpPacket(bytes));
    if (r.kind === 'complete') for (const au of r.units) out.push(au.nalus);
  }
  return out;
}

/** Runs ffmpeg -xerror over an Annex B stream (throws on any decode error); returns ffprobe's frame count. */
export function decodedFrames(accessUnits: readonly (readonly Uint8Array[])[], format: VideoFormat): number {
  const dir = mkdtempSync(join(tmpdir(), 'packetizer-decode-'));
  try {
    const file = join(dir, `out.${format}`);
    writeFileSync(file, Buffer.concat(accessUnits.map((nalus) => joinAnnexB(nalus))));
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-xerror', '-f', format, '-i', file, '-f', 'null', '-'], { timeout: 30_000, stdio: ['ignore', 'ignore', 'pipe'] });
    const frames = execFileSync('ffprobe', ['-v', 'error', '-f', format, '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file], { timeout: 30_000 });
    return Number(frames.toString().trim());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
