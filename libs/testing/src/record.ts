import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RtspTransport } from './media';
import { spawnTracked, withTimeout } from './processes';
import { judgeTiming, parseProbePackets, TimingReport } from './timing';

/** Containers a recorder writes with `ffmpeg -c copy` (NVRs, Frigate-style recorders). */
export type RecordFormat = 'mpegts' | 'matroska' | 'flv' | 'mp4';

export interface RecordOptions {
  transport?: RtspTransport;
  format: RecordFormat;
  /** Seconds of output to write. */
  seconds: number;
  timeoutMs?: number;
}

export interface RecordResult {
  exitCode: number | null;
  stderr: string;
  /** Lines of ffmpeg's stderr that complain about timestamps (missing, unset, non-monotonous). */
  timestampComplaints: string[];
  /** The recorded file's packets, read back with ffprobe and judged (see judgeTiming). */
  timing: TimingReport;
  /** Packets per media type in the recorded file. */
  packets: { video: number; audio: number };
}

/** A file cut by -t ends in a partial GOP and a partial PES (TimingLimits.ignoreTail). */
export const CUT_TAIL_UNITS = 8;
/**
 * ffmpeg's guess of the first B-frames' DTS (RTP carries none) draws this from the muxer at the
 * very start of a recording (previous 0, current 0), from a camera read directly too. A
 * non-monotonous DTS anywhere later is a real break.
 */
export const START_DTS_GUESS = /Non-monotonous DTS in output stream \d+:\d+; previous: 0, current: 0;/;
const COMPLAINT = /first pts|missing PTS|unknown timestamp|Timestamps are unset|pts has no value|Invalid DTS|non monotonically|Non-monotonous/i;

/**
 * Records an RTSP URL the way a recorder does (`ffmpeg -c copy` into `format`), then reads the
 * file back with ffprobe and judges its packet timestamps. The file is removed afterwards.
 */
export async function ffmpegRecordRtsp(url: string, o: RecordOptions): Promise<RecordResult> {
  const dir = mkdtempSync(join(tmpdir(), 'streamgate-record-'));
  const file = join(dir, `out.${o.format === 'matroska' ? 'mkv' : o.format === 'mpegts' ? 'ts' : o.format}`);
  try {
    const timeoutMs = o.timeoutMs ?? o.seconds * 1000 + 15_000;
    const p = spawnTracked('ffmpeg', [
      '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'warning', '-rtsp_transport', o.transport ?? 'tcp',
      '-timeout', String(10_000_000), '-i', url, '-map', '0', '-c', 'copy', '-t', String(o.seconds), '-f', o.format, '-y', file,
    ]);
    const status = await withTimeout(p.exited, timeoutMs, `ffmpeg recording ${url}`).catch(async (e: unknown) => {
      await p.kill();
      throw e;
    });
    const stderr = p.stderr();
    const timestampComplaints = stderr.split('\n').filter((l) => COMPLAINT.test(l));
    const probe = spawnTracked('ffprobe', [
      '-v', 'error', '-show_entries', 'packet=stream_index,pts_time,dts_time,duration_time,flags:stream=index,codec_type', '-of', 'json', file,
    ]);
    await withTimeout(probe.exited, 20_000, `ffprobe ${file}`);
    const out = probe.stdout().trim();
    const tracks = out.startsWith('{') ? parseProbePackets(out) : [];
    const packets = { video: 0, audio: 0 };
    for (const t of tracks) packets[t.kind] += t.units.length;
    return { exitCode: status.code, stderr, timestampComplaints, timing: judgeTiming(tracks, { maxJumpS: 0.1, dts: o.format !== 'matroska', ignoreTail: CUT_TAIL_UNITS }), packets };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
