/**
 * Test support: what real decoders say about our output. Depacketizes our access units with
 * the library decoders (an independent path from the encoders that made them) and has
 * ffmpeg (-xerror: any decode error fails) and ffprobe (-count_frames) check the bytes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecodeResult, H264Decoder, H265Decoder, parseRtpPacket, RtpPacket } from '@streamgate/protocol-rtp';
import { joinAnnexB } from '@streamgate/codec';

export type VideoFormat = 'h264' | 'hevc';

/** Every unit a library depacketizer (H264Decoder, AacDecoder, …) completes from serialized RTP packets, in order. */
export function depacketize<U>(decoder: { decode(p: RtpPacket): DecodeResult<U> }, packets: readonly Uint8Array[]): U[] {
  const out: U[] = [];
  for (const bytes of packets) {
    const r = decoder.decode(parseRtpPacket(bytes));
    if (r.kind === 'complete') out.push(...r.units);
  }
  return out;
}

/** Decodes our RTP packets (in send order) back into access units of NAL units. */
export function depacketizeVideo(packets: readonly Uint8Array[], format: VideoFormat): Uint8Array[][] {
  return depacketize(format === 'h264' ? new H264Decoder() : new H265Decoder(), packets).map((au) => au.nalus);
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
