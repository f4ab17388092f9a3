import { pythonHelperPath, SYSTEM_PYTHON } from './python-helper';
import { spawnTracked, withTimeout } from './processes';

export interface GstPlayOptions {
  protocols?: 'tcp' | 'udp';
  /** How long to play before stopping and reporting. */
  seconds: number;
  user?: string;
  password?: string;
  timeoutMs?: number;
  /** rtsps://: GTlsCertificateFlags rtspsrc checks; 0 accepts a self-signed certificate. */
  tlsValidationFlags?: number;
  /** Front end: rtspsrc ! decodebin (default), uridecodebin, or playbin (see gst_play.py). */
  element?: 'rtspsrc' | 'uridecodebin' | 'playbin';
  /** Jitterbuffer latency; default 200 ms for rtspsrc, GStreamer's own (2000 ms) otherwise. */
  latencyMs?: number;
  /** Render against the clock like a player (sync=true sinks), so stalls show as gaps. */
  sync?: boolean;
  /** HLS URLs: the GStreamer HLS demuxer to prefer (`hlsdemux` or `hlsdemux2`). */
  hlsDemuxer?: 'hlsdemux' | 'hlsdemux2';
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
  /** Milliseconds from start to the first rendered buffer, per media type. */
  firstBufferMs: { video?: number; audio?: number };
  /** Largest wall-clock gap between consecutive rendered buffers after the first, per media type. */
  maxGapMs: { video?: number; audio?: number };
}

interface PlayReport {
  reached_playing: boolean;
  buffers: { video: number; audio: number };
  caps: { video?: string; audio?: string };
  errors: string[];
  first_buffer_ms?: { video?: number; audio?: number };
  max_gap_ms?: { video?: number; audio?: number };
}

/**
 * Plays an HLS URL with GStreamer's uridecodebin and its own HLS demuxer (`hlsdemux`, or
 * `hlsdemux2` when asked) into fakesinks; counts decoded buffers.
 */
export function gstPlayHls(url: string, o: Omit<GstPlayOptions, 'element'>): Promise<GstPlayResult> {
  return gstPlayRtsp(url, { ...o, element: 'uridecodebin' });
}

/** Plays `url` with GStreamer (rtspsrc, uridecodebin or playbin into fakesinks); counts buffers and gaps. */
export async function gstPlayRtsp(url: string, o: GstPlayOptions): Promise<GstPlayResult> {
  const args = [pythonHelperPath('gst_play.py'), url, '--protocols', o.protocols ?? 'tcp', '--seconds', String(o.seconds)];
  if (o.user !== undefined) args.push('--user', o.user, '--password', o.password ?? '');
  if (o.tlsValidationFlags !== undefined) args.push('--tls-validation-flags', String(o.tlsValidationFlags));
  if (o.element) args.push('--element', o.element);
  if (o.latencyMs !== undefined) args.push('--latency-ms', String(o.latencyMs));
  if (o.sync) args.push('--sync');
  if (o.hlsDemuxer) args.push('--hls-demuxer', o.hlsDemuxer);
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
    firstBufferMs: report.first_buffer_ms ?? {},
    maxGapMs: report.max_gap_ms ?? {},
  };
}
