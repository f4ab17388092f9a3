import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnTracked, TrackedProcess, withTimeout } from './processes';
import { judgeTiming, parseFramecrc, parseProbePackets, TimingReport, TrackTimeline } from './timing';

export { gstPlayHls, gstPlayRtsp } from './gst-play';
export type { GstPlayOptions, GstPlayResult } from './gst-play';

export interface ClipParams {
  seconds?: number;
  width?: number;
  height?: number;
  fps?: number;
  /** B-frames between references (x264 -bf); >0 exercises composition time offsets. */
  bframes?: number;
  /** Frames between keyframes; default 2 s worth. */
  gop?: number;
  /**
   * ffmpeg `-force_key_frames` (e.g. `expr:...`) for irregular GOPs; `gop` is then the longest
   * one x264 may make on its own.
   */
  forceKeyFrames?: string;
  audio?: boolean;
  /** Constant-ish video bitrate; without it x264 uses its CRF default. */
  videoBitrateKbps?: number;
}

export interface TestClip {
  readonly params: Required<Omit<ClipParams, 'videoBitrateKbps'>> & { videoBitrateKbps?: number };
  /** The same encoded content in two containers: push FLV over RTMP, serve MP4 from GStreamer. */
  readonly flv: string;
  readonly mp4: string;
}

export interface MakeTestClipOptions extends ClipParams {
  /** Where to keep clips across runs; default a per-process temp dir removed on exit. */
  cacheDir?: string;
  timeoutMs?: number;
}

const clips = new Map<string, Promise<TestClip>>();
let processDir: string | undefined;

function tempClipDir(): string {
  if (!processDir) {
    const dir = mkdtempSync(join(tmpdir(), 'streamgate-clips-'));
    processDir = dir;
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return processDir;
}

function normalize(p: ClipParams): TestClip['params'] {
  const fps = p.fps ?? 25;
  return {
    seconds: p.seconds ?? 10,
    width: p.width ?? 640,
    height: p.height ?? 360,
    fps,
    bframes: p.bframes ?? 2,
    gop: p.gop ?? fps * 2,
    forceKeyFrames: p.forceKeyFrames ?? '',
    audio: p.audio ?? true,
    videoBitrateKbps: p.videoBitrateKbps,
  };
}

/** ffmpeg input and codec arguments for the lavfi test pattern (testsrc2 + sine), H.264 High + AAC. */
export function lavfiEncodeArgs(p: ClipParams, realtimeInput = false): string[] {
  const n = normalize(p);
  const re = realtimeInput ? ['-re'] : [];
  const args = [...re, '-f', 'lavfi', '-i', `testsrc2=size=${n.width}x${n.height}:rate=${n.fps}`];
  if (n.audio) args.push(...re, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000');
  args.push(
    '-c:v', 'libx264', '-profile:v', 'high', '-pix_fmt', 'yuv420p', '-preset', 'veryfast',
    '-bf', String(n.bframes), '-g', String(n.gop), '-keyint_min', String(n.gop), '-sc_threshold', '0',
  );
  if (n.forceKeyFrames) args.push('-force_key_frames', n.forceKeyFrames);
  if (n.videoBitrateKbps) {
    const k = n.videoBitrateKbps;
    args.push('-b:v', `${k}k`, '-maxrate', `${k}k`, '-bufsize', `${2 * k}k`);
  }
  if (n.audio) args.push('-c:a', 'aac', '-b:a', '128k', '-ac', '2');
  return args;
}

async function runFfmpeg(args: string[], timeoutMs: number, what: string): Promise<void> {
  const p = spawnTracked('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args]);
  const status = await withTimeout(p.exited, timeoutMs, what).catch(async (e: unknown) => {
    await p.kill();
    throw e;
  });
  if (status.code !== 0) throw new Error(`${what} failed (exit ${status.code}): ${p.stderr().trim()}`);
}

async function render(params: TestClip['params'], dir: string, timeoutMs: number): Promise<TestClip> {
  const base = [
    `clip-${params.width}x${params.height}-${params.fps}fps-${params.seconds}s`,
    `bf${params.bframes}-g${params.gop}-${params.audio ? 'aac' : 'noaudio'}`,
    params.forceKeyFrames ? `kf${createHash('sha1').update(params.forceKeyFrames).digest('hex').slice(0, 8)}` : '',
    params.videoBitrateKbps ? `${params.videoBitrateKbps}k` : 'crf',
  ].filter(Boolean).join('-');
  const mp4 = join(dir, `${base}.mp4`);
  const flv = join(dir, `${base}.flv`);
  if (existsSync(mp4) && existsSync(flv)) return { params, mp4, flv };
  mkdirSync(dir, { recursive: true });
  // Render to a temporary name first so an interrupted run never leaves a truncated clip cached.
  const mp4Tmp = `${mp4}.partial.mp4`;
  const flvTmp = `${flv}.partial.flv`;
  await runFfmpeg(
    [...lavfiEncodeArgs(params), '-t', String(params.seconds), '-movflags', '+faststart', mp4Tmp],
    timeoutMs,
    `rendering test clip ${base}`,
  );
  await runFfmpeg(['-i', mp4Tmp, '-c', 'copy', '-f', 'flv', flvTmp], timeoutMs, `remuxing ${base} to FLV`);
  renameSync(mp4Tmp, mp4);
  renameSync(flvTmp, flv);
  return { params, mp4, flv };
}

/**
 * Renders a test clip (lavfi testsrc2 + sine; x264 High with B-frames; AAC) once per parameter
 * set and process, as MP4 and FLV, so tests can push identical content repeatedly with -c copy.
 */
export function makeTestClip(options: MakeTestClipOptions = {}): Promise<TestClip> {
  const params = normalize(options);
  const dir = options.cacheDir ?? tempClipDir();
  const key = `${dir}|${JSON.stringify(params)}`;
  let clip = clips.get(key);
  if (!clip) {
    clip = render(params, dir, options.timeoutMs ?? 300_000);
    clips.set(key, clip);
    clip.catch(() => clips.delete(key));
  }
  return clip;
}

export interface PushRtmpOptions {
  /** Push this file with -c copy (e.g. `TestClip.flv`)... */
  clip?: string;
  /** ...or encode the lavfi test pattern live with these parameters. */
  live?: ClipParams;
  /** Read input at its native rate (-re), as a real encoder would send. Default true. */
  realtime?: boolean;
  /** Loop the clip forever (-stream_loop -1). */
  loop?: boolean;
  /** Stop after this many seconds of output. */
  seconds?: number;
  loglevel?: string;
}

/** Starts ffmpeg publishing to `url` (rtmp://...); the process is tracked and killed on exit. */
export function ffmpegPushRtmp(url: string, o: PushRtmpOptions): TrackedProcess {
  const realtime = o.realtime ?? true;
  const args = ['-hide_banner', '-nostdin', '-loglevel', o.loglevel ?? 'error'];
  if (o.clip) {
    if (realtime) args.push('-re');
    if (o.loop) args.push('-stream_loop', '-1');
    args.push('-i', o.clip, '-c', 'copy');
  } else if (o.live) {
    args.push(...lavfiEncodeArgs(o.live, realtime));
  } else {
    throw new Error('ffmpegPushRtmp needs either clip or live');
  }
  if (o.seconds) args.push('-t', String(o.seconds));
  args.push('-f', 'flv', url);
  return spawnTracked('ffmpeg', args);
}

export type RtspTransport = 'tcp' | 'udp';

export interface ProbedStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  profile?: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  channels?: number;
  [field: string]: unknown;
}

export interface ProbeResult {
  streams: ProbedStream[];
}

export interface ProbeOptions {
  transport?: RtspTransport;
  timeoutMs?: number;
}

/** `ffprobe -show_streams -of json` on an RTSP URL. Rejects with ffprobe's stderr on failure. */
export async function ffprobeRtsp(url: string, o: ProbeOptions = {}): Promise<ProbeResult> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const p = spawnTracked('ffprobe', [
    '-hide_banner', '-v', 'error', '-rtsp_transport', o.transport ?? 'tcp',
    // Socket I/O timeout in microseconds, so a silent server fails instead of hanging.
    '-timeout', String(timeoutMs * 1000),
    '-show_streams', '-of', 'json', url,
  ]);
  const status = await withTimeout(p.exited, timeoutMs + 2000, `ffprobe ${url}`).catch(async (e: unknown) => {
    await p.kill();
    throw e;
  });
  if (status.code !== 0) throw new Error(`ffprobe ${url} failed (exit ${status.code}): ${p.stderr().trim()}`);
  const parsed = JSON.parse(p.stdout()) as { streams?: ProbedStream[] };
  return { streams: parsed.streams ?? [] };
}

export interface DecodeOptions {
  transport?: RtspTransport;
  /** Seconds of media to decode. */
  seconds: number;
  /** Stop at the first decode error (-xerror). Default true. */
  xerror?: boolean;
  timeoutMs?: number;
  /** Largest allowed step between presentation times past a frame's duration (s); default 0.1. */
  maxJumpS?: number;
  /** Called once, when the first frame is decoded (a test may disturb the source only then). */
  onFirstFrame?: () => void;
  /** Decode only the video track (default: every track). */
  videoOnly?: boolean;
}

export interface DecodeResult {
  frames: { video: number; audio: number };
  exitCode: number | null;
  stderr: string;
  /** Per-track decoded-frame timestamps, judged (see judgeTiming). */
  timing: TimingReport;
  /** Milliseconds from starting ffmpeg to its first decoded frame (undefined: none). */
  firstFrameMs?: number;
  /**
   * Largest wall-clock gap between consecutive decoded frames of a kind, ms, after its first
   * (framecrc lines are flushed per frame, so a line's arrival is its frame's).
   */
  wallGapMs: { video?: number; audio?: number };
}

/** Counts framecrc lines per stream, using the `#media_type <i>: <type>` header framecrc writes. */
export function countFramecrc(text: string): { video: number; audio: number } {
  const types = new Map<number, string>();
  const counts = { video: 0, audio: 0 };
  for (const line of text.split('\n')) {
    const header = /^#media_type (\d+): (\w+)/.exec(line);
    if (header) {
      types.set(Number(header[1]), header[2]);
      continue;
    }
    const frame = /^\s*(\d+),/.exec(line);
    if (!frame) continue;
    const type = types.get(Number(frame[1]));
    if (type === 'video') counts.video++;
    else if (type === 'audio') counts.audio++;
  }
  return counts;
}

/**
 * Decodes `seconds` of an RTSP stream with ffmpeg (framecrc of every decoded frame, which
 * also makes ffmpeg decode rather than copy) and counts the frames per media type.
 */
export async function ffmpegDecodeRtsp(url: string, o: DecodeOptions): Promise<DecodeResult> {
  const timeoutMs = o.timeoutMs ?? o.seconds * 1000 + 15_000;
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'warning'];
  if (o.xerror ?? true) args.push('-xerror');
  args.push(
    '-rtsp_transport', o.transport ?? 'tcp', '-timeout', String(10_000_000), '-i', url,
    // Each frame's line written at once, so its arrival time is the frame's (time to first frame).
    '-map', o.videoOnly ? '0:v' : '0', '-t', String(o.seconds), '-flush_packets', '1', '-f', 'framecrc', '-',
  );
  const started = performance.now();
  let firstFrameMs: number | undefined;
  const gaps = new FramecrcGaps();
  const p = spawnTracked('ffmpeg', args, {
    onStdout: (chunk) => {
      const now = performance.now();
      if (firstFrameMs === undefined && /^\s*\d+,/m.test(chunk)) {
        firstFrameMs = now - started;
        o.onFirstFrame?.();
      }
      gaps.add(chunk, now);
    },
  });
  const status = await withTimeout(p.exited, timeoutMs, `ffmpeg decoding ${url}`).catch(async (e: unknown) => {
    await p.kill();
    throw e;
  });
  const text = p.stdout();
  // Decoded frames may repeat a dts (frame-rate time base); the pts sequence is what is judged.
  const timing = judgeTiming(parseFramecrc(text), { maxJumpS: o.maxJumpS ?? 0.1 });
  return { frames: countFramecrc(text), exitCode: status.code, stderr: p.stderr(), timing, firstFrameMs, wallGapMs: gaps.largest };
}

/** Wall-clock gaps between framecrc frame lines per media type, fed chunk by chunk as they arrive. */
class FramecrcGaps {
  readonly largest: { video?: number; audio?: number } = {};
  private readonly types = new Map<number, string>();
  private readonly lastAt: { video?: number; audio?: number } = {};
  private pending = '';

  add(chunk: string, now: number): void {
    const lines = (this.pending + chunk).split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) {
      const header = /^#media_type (\d+): (\w+)/.exec(line);
      if (header) this.types.set(Number(header[1]), header[2]);
      const frame = /^\s*(\d+),/.exec(line);
      const kind = frame ? this.types.get(Number(frame[1])) : undefined;
      if (kind !== 'video' && kind !== 'audio') continue;
      const last = this.lastAt[kind];
      if (last !== undefined) this.largest[kind] = Math.max(this.largest[kind] ?? 0, now - last);
      this.lastAt[kind] = now;
    }
  }
}

export interface ProbePacketsOptions {
  transport?: RtspTransport;
  /** Seconds of packets to read. */
  seconds: number;
  timeoutMs?: number;
}

export interface ProbePacketsResult {
  tracks: TrackTimeline[];
  exitCode: number | null;
  stderr: string;
}

/**
 * The packets a demuxer hands to a recorder (`-c copy`): `ffprobe -show_packets` of an RTSP
 * URL for `seconds`, as per-track timelines (pts/dts in seconds, N/A as undefined).
 */
export async function ffprobePackets(url: string, o: ProbePacketsOptions): Promise<ProbePacketsResult> {
  const timeoutMs = o.timeoutMs ?? o.seconds * 1000 + 15_000;
  const p = spawnTracked('ffprobe', [
    '-hide_banner', '-v', 'error', '-rtsp_transport', o.transport ?? 'tcp', '-timeout', String(10_000_000),
    '-read_intervals', `%+${o.seconds}`,
    '-show_entries', 'packet=stream_index,pts_time,dts_time,duration_time,flags:stream=index,codec_type', '-of', 'json', url,
  ]);
  const status = await withTimeout(p.exited, timeoutMs, `ffprobe packets ${url}`).catch(async (e: unknown) => {
    await p.kill();
    throw e;
  });
  const out = p.stdout().trim();
  return { tracks: out.startsWith('{') ? parseProbePackets(out) : [], exitCode: status.code, stderr: p.stderr() };
}

