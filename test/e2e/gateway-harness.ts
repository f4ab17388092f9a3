import { connect } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ffmpegDecodeRtsp, ffmpegPushRtmp, ffprobeRtsp, makeTestClip, ProbedStream, RtspTransport, TrackedProcess,
} from '@streamgate/testing';
import type { ContextOverrides } from '@streamgate/platform';
import { Gateway, startGateway } from '../../services/all-in-one';

/**
 * Starts the all-in-one gateway on loopback with ephemeral ports. Readers wait only 2 s for a
 * stopped source (SOURCE_TIMEOUT, 20 s by default), so tests whose publisher ends do not each
 * wait 20 s for their readers to end; tests of source outages pass their own.
 */
export function startTestGateway(extra: Record<string, string | number | boolean> = {}, overrides: Omit<ContextOverrides, 'config'> = {}): Promise<Gateway> {
  return startGateway({
    ...overrides,
    config: {
      SOURCE_TIMEOUT: 2,
      HOST: '127.0.0.1', PUBLIC_HOST: '127.0.0.1', RTSP_PORT: 0, RTMP_PORT: 0, PORT: 0, RTSP_UDP_RTP_PORT: 0, METRICS_PORT: 0, HLS_PORT: 0,
      LOG_LEVEL: 'warn', DATA_DIR: mkdtempSync(join(tmpdir(), 'sg-data-')),
      ...extra,
    },
  });
}

export interface ClipOptions {
  seconds: number;
  width?: number;
  height?: number;
  fps?: number;
  gop?: number;
  bframes?: number;
  audio?: boolean;
}

/**
 * An FLV test clip (H.264 High with B-frames + AAC), rendered once per parameter set by
 * libs/testing's makeTestClip (bounded by its render timeout).
 */
export async function renderClip(o: ClipOptions): Promise<string> {
  const { seconds, width = 640, height = 360, fps = 25, gop = 50, bframes = 2, audio = true } = o;
  return (await makeTestClip({ seconds, width, height, fps, gop, bframes, audio })).flv;
}

/** ffmpeg pushing a clip in real time to rtmp://127.0.0.1:<port>/<app>/<key>. */
export function pushClip(file: string, rtmpPort: number, key: string, app = 'live'): TrackedProcess {
  return ffmpegPushRtmp(`rtmp://127.0.0.1:${rtmpPort}/${app}/${key}`, { clip: file });
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
  /** What is wrong with the decoded frames' timestamps (libs/testing judgeTiming); empty when clean. */
  timingProblems: string[];
  /** ms from starting ffmpeg to its first decoded frame. */
  firstFrameMs?: number;
  /** Largest step between consecutive decoded presentation times, per kind, seconds. */
  largestStepS: { video?: number; audio?: number };
  /** Largest wall-clock gap between decoded frames, per kind, ms. */
  wallGapMs: { video?: number; audio?: number };
}

/**
 * Reads an RTSP URL with ffmpeg, decoding every frame with -xerror (any decode error fails),
 * until the stream ends or `maxSeconds`. Counts decoded frames per media type (framecrc's
 * #media_type header, not the stream index: a camera may list audio first) and judges their
 * timestamps (monotonic, no jumps: `timingProblems`). Rejects when
 * ffmpeg is still running 15 s after `maxSeconds`.
 */
export async function decodeWithFfmpeg(
  url: string, transport: RtspTransport, maxSeconds: number, o: { onFirstFrame?: () => void; videoOnly?: boolean } = {},
): Promise<DecodeResult> {
  const r = await ffmpegDecodeRtsp(url, { transport, seconds: maxSeconds, ...o });
  return { code: r.exitCode, video: r.frames.video, audio: r.frames.audio, stderr: r.stderr, timingProblems: r.timing.problems, firstFrameMs: r.firstFrameMs, largestStepS: r.timing.largestStepS, wallGapMs: r.wallGapMs };
}

export type ProbeStream = ProbedStream;

/** ffprobe -show_streams on an RTSP URL (bounded); rejects with ffprobe's stderr on failure. */
export async function probe(url: string, transport: RtspTransport): Promise<ProbeStream[]> {
  return (await ffprobeRtsp(url, { transport })).streams;
}
