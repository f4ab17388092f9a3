import { pythonHelperPath, SYSTEM_PYTHON } from './python-helper';
import { spawnTracked, withTimeout } from './processes';

export interface GstPlayOptions {
  protocols?: 'tcp' | 'udp';
  /** How long to play before stopping and reporting. */
  seconds: number;
  user?: string;
  password?: string;
  timeoutMs?: number;
}

export interface GstPlayResult {
  reachedPlaying: boolean;
  /** Decoded buffers that reached the sinks, per media type. */
  buffers: { video: number; audio: number };
  /** Decoded caps per media type, e.g. video/x-raw,width=1920,... */
  caps: { video?: string; audio?: string };
  errors: string[];
  exitCode: number | null;
  stderr: string;
}

interface PlayReport {
  reached_playing: boolean;
  buffers: { video: number; audio: number };
  caps: { video?: string; audio?: string };
  errors: string[];
}

/** Plays `url` with GStreamer's rtspsrc ! decodebin ! fakesink and counts decoded buffers. */
export async function gstPlayRtsp(url: string, o: GstPlayOptions): Promise<GstPlayResult> {
  const args = [pythonHelperPath('gst_play.py'), url, '--protocols', o.protocols ?? 'tcp', '--seconds', String(o.seconds)];
  if (o.user !== undefined) args.push('--user', o.user, '--password', o.password ?? '');
  const p = spawnTracked(SYSTEM_PYTHON, args);
  const status = await withTimeout(p.exited, o.timeoutMs ?? o.seconds * 1000 + 15_000, `gst play ${url}`).catch(
    async (e: unknown) => {
      await p.kill();
      throw e;
    },
  );
  const line = p.stdout().trim().split('\n').pop() ?? '';
  let report: PlayReport = { reached_playing: false, buffers: { video: 0, audio: 0 }, caps: {}, errors: [] };
  if (line.startsWith('{')) report = JSON.parse(line) as PlayReport;
  else report.errors.push(`gst_play.py printed no report: ${p.stderr().trim()}`);
  return {
    reachedPlaying: report.reached_playing,
    buffers: report.buffers,
    caps: report.caps,
    errors: report.errors,
    exitCode: status.code,
    stderr: p.stderr(),
  };
}
