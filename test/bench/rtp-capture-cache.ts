import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rtpSequenceNumber, seqAdd } from '@streamgate/protocol-rtp';
import { log } from './bench-run';

/** ffmpeg's RTP as the benchmarks replay it: media section i of `sdp` is track i; data in base64. */
export interface RtpCaptureFile {
  sdp: string;
  packets: { track: number; receivedAt: number; data: string }[];
}

/**
 * The path of `name` in the benchmarks' clip cache, capturing it first when it is not there:
 * ffmpeg sending RTP (captureLiveRtp, `inputArgs` and one `outputs` entry per media section), RTCP
 * left out. A capture that lost a datagram on the way is refused rather than cached: replayed,
 * its hole would be in every later run (the camera farm rewrites sequence numbers, so nobody
 * would see it). Written whole or not at all, so a run never reads half a file.
 */
export async function cachedRtpCapture(
  name: string, inputArgs: readonly string[], outputs: ReadonlyArray<readonly string[]>, timeoutMs = 60_000,
): Promise<string> {
  const dir = join(tmpdir(), 'streamgate-bench-clips');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  if (existsSync(file)) return file;
  log(`capturing RTP from ffmpeg into ${file}…`);
  const { captureLiveRtp } = await import('@streamgate/packetizer/testing');
  const live = await captureLiveRtp(inputArgs, outputs, timeoutMs);
  const rtp = live.datagrams.filter((d) => !d.rtcp);
  outputs.forEach((_, track) => {
    const seqs = rtp.filter((d) => d.track === track).map((d) => rtpSequenceNumber(d.data));
    if (seqs.length === 0) throw new Error(`RTP capture ${name}: no packets for media ${track}`);
    const gap = seqs.findIndex((s, k) => k > 0 && s !== seqAdd(seqs[k - 1], 1));
    if (gap > 0) throw new Error(`RTP capture ${name}: media ${track} lost packets before its packet ${gap}; run again`);
  });
  const capture: RtpCaptureFile = {
    sdp: live.sdp,
    packets: rtp.map((d) => ({ track: d.track, receivedAt: d.receivedAt, data: Buffer.from(d.data).toString('base64') })),
  };
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, JSON.stringify(capture));
  renameSync(partial, file);
  return file;
}
