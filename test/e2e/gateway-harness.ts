import { connect } from 'node:net';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnTracked, TrackedProcess } from '@streamgate/testing';
import { Gateway, startGateway } from '../../services/all-in-one';

/** Starts the all-in-one gateway on loopback with ephemeral ports. */
export function startTestGateway(extra: Record<string, string | number | boolean> = {}): Promise<Gateway> {
  return startGateway({
    config: {
      HOST: '127.0.0.1', PUBLIC_HOST: '127.0.0.1', RTSP_PORT: 0, RTMP_PORT: 0, PORT: 0, RTSP_UDP_RTP_PORT: 0, METRICS_PORT: 0,
      LOG_LEVEL: 'warn', DATA_DIR: mkdtempSync(join(tmpdir(), 'sg-data-')),
      ...extra,
    },
  });
}

const clipDir = mkdtempSync(join(tmpdir(), 'sg-clips-'));

export interface ClipOptions {
  seconds: number;
  width?: number;
  height?: number;
  fps?: number;
  gop?: number;
  bframes?: number;
  audio?: boolean;
}

/** Renders an FLV test clip (H.264 High with B-frames + AAC) once per parameter set. */
export async function renderClip(o: ClipOptions): Promise<string> {
  const { seconds, width = 640, height = 360, fps = 25, gop = 50, bframes = 2, audio = true } = o;
  const file = join(clipDir, `clip-${seconds}-${width}x${height}-${fps}-${gop}-${bframes}-${audio}.flv`);
  if (existsSync(file)) return file;
  const args = ['-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`];
  if (audio) args.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000');
  args.push('-t', String(seconds), '-c:v', 'libx264', '-profile:v', 'high', '-preset', 'veryfast', '-pix_fmt', 'yuv420p',
    '-bf', String(bframes), '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0');
  if (audio) args.push('-c:a', 'aac', '-b:a', '96k');
  args.push('-f', 'flv', file);
  const p = spawnTracked('ffmpeg', args);
  const st = await p.exited;
  if (st.code !== 0) throw new Error(`rendering the clip failed: ${p.stderr()}`);
  return file;
}

/** ffmpeg pushing a clip in real time to rtmp://127.0.0.1:<port>/<app>/<key>. */
export function pushClip(file: string, rtmpPort: number, key: string, app = 'live'): TrackedProcess {
  return spawnTracked('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-i', file, '-c', 'copy', '-f', 'flv',
    `rtmp://127.0.0.1:${rtmpPort}/${app}/${key}`]);
}

/** Sends one raw RTSP request and returns the status code (0 when the connection failed). */
export function rtspStatus(port: number, method: string, path: string, extraHeaders = ''): Promise<number> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let buf = '';
    const done = (code: number): void => {
      sock.destroy();
      resolve(code);
    };
    sock.setTimeout(3000, () => done(0));
    sock.on('error', () => done(0));
    sock.on('connect', () => sock.write(`${method} rtsp://127.0.0.1:${port}/${path} RTSP/1.0\r\nCSeq: 1\r\n${extraHeaders}\r\n`));
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      const m = /^RTSP\/1\.0 (\d{3})/.exec(buf);
      if (m) done(Number(m[1]));
    });
  });
}

/** Waits until DESCRIBE of `path` answers 200 (the stream is live and described). */
export async function waitForStream(port: number, path: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await rtspStatus(port, 'DESCRIBE', path, 'Accept: application/sdp\r\n')) === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`stream ${path} was not describable within ${timeoutMs} ms`);
}

export interface DecodeResult {
  code: number | null;
  video: number;
  audio: number;
  stderr: string;
}

/**
 * Reads an RTSP URL with ffmpeg, decoding every frame with -xerror (any decode error fails),
 * until the stream ends or `maxSeconds`. Counts decoded frames per stream with framecrc.
 */
export async function decodeWithFfmpeg(url: string, transport: 'tcp' | 'udp', maxSeconds: number): Promise<DecodeResult> {
  const p = spawnTracked('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-xerror', '-rtsp_transport', transport,
    '-i', url, '-t', String(maxSeconds), '-map', '0', '-f', 'framecrc', '-']);
  const timer = setTimeout(() => void p.kill(), (maxSeconds + 15) * 1000);
  const st = await p.exited;
  clearTimeout(timer);
  let video = 0;
  let audio = 0;
  for (const line of p.stdout().split('\n')) {
    if (line.startsWith('0,')) video++;
    else if (line.startsWith('1,')) audio++;
  }
  return { code: st.code, video, audio, stderr: p.stderr() };
}

export interface ProbeStream {
  codec_type: string;
  codec_name: string;
  profile?: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  channels?: number;
}

export async function probe(url: string, transport: 'tcp' | 'udp'): Promise<ProbeStream[]> {
  const p = spawnTracked('ffprobe', ['-hide_banner', '-loglevel', 'error', '-rtsp_transport', transport,
    '-show_streams', '-of', 'json', url]);
  const timer = setTimeout(() => void p.kill(), 20_000);
  const st = await p.exited;
  clearTimeout(timer);
  if (st.code !== 0) throw new Error(`ffprobe ${transport} ${url} failed (${st.code}): ${p.stderr()}`);
  return (JSON.parse(p.stdout()) as { streams: ProbeStream[] }).streams;
}
