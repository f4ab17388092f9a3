/**
 * Helpers for the RTSP pull end-to-end tests: the all-in-one gateway with its log lines
 * captured, the control API, GStreamer cameras on a chosen port (to kill and restart one on
 * the same port).
 */
import pino from 'pino';
import {
  GstRtspServer, GstRtspServerOptions, SYSTEM_PYTHON, TrackedProcess, freeTcpPort, makeTestClip, pythonHelperPath, spawnTracked,
  startGstRtspServer, waitFor,
} from '@streamgate/testing';
import type { Gateway } from '../../services/all-in-one';
import { startTestGateway } from './gateway-harness';

export interface PullGateway {
  gw: Gateway;
  /** Every log line the gateway wrote since start (all services share one logger). */
  logs: string[];
  /** Every /api response body seen by these helpers (for the no-secrets check). */
  responses: string[];
  api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
  addCamera(body: Record<string, unknown>): Promise<void>;
  status(name: string): Promise<Record<string, unknown>>;
  waitStatus(name: string, what: string, predicate: (s: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
}

export async function startPullGateway(extra: Record<string, string | number | boolean> = {}): Promise<PullGateway> {
  const gw = await startTestGateway({ LOG_LEVEL: 'debug', ...extra });
  const logs: string[] = [];
  // Child loggers share the root's destination stream: replacing its write captures them all
  // (and keeps debug lines out of the test output).
  const stream = Reflect.get(gw.ctx.logger, pino.symbols.streamSym) as { write: (s: string) => boolean };
  stream.write = (line: string) => {
    logs.push(line);
    return true;
  };
  const responses: string[] = [];
  const api: PullGateway['api'] = async (method, path, body) => {
    const res = await fetch(`http://127.0.0.1:${gw.httpPort}${path}`, {
      method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    responses.push(text);
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      json = { unparsable: text, error: String(err) };
    }
    return { status: res.status, json };
  };
  const status = async (name: string): Promise<Record<string, unknown>> => (await api('GET', `/api/streams/${name}`)).json;
  return {
    gw, logs, responses, api, status,
    addCamera: async (body) => {
      const r = await api('POST', '/api/streams', body);
      if (r.status !== 201) throw new Error(`POST /api/streams answered ${r.status}: ${JSON.stringify(r.json)}`);
    },
    waitStatus: (name, what, predicate, ms = 20_000) => waitFor(async () => {
      const s = await status(name);
      return predicate(s) ? s : undefined;
    }, ms, `${name}: ${what}`, 200),
  };
}

/** A GStreamer camera like startGstRtspServer's, on a port we choose (so it can come back on it); `file` false: live encode (`extra` picks the codec). */
export async function startCameraOnPort(port: number, mount: string, extra: string[] = [], file = true): Promise<TrackedProcess> {
  let ready = false;
  const clip = file ? ['--file', await cameraClip()] : [];
  const args = [pythonHelperPath('gst_rtsp_server.py'), '--port', String(port), '--mounts', mount, ...clip, ...extra];
  const proc = spawnTracked(SYSTEM_PYTHON, args, {
    onStdout: (text) => {
      if (text.includes('"event": "ready"')) ready = true;
    },
  });
  await waitFor(() => (ready ? true : proc.child.exitCode !== null ? Promise.reject(new Error(proc.stderr())) : undefined), 10_000, 'camera ready');
  return proc;
}

/** The camera's content: 25 fps, a keyframe every second, H.264 High with B-frames + AAC. */
export const CAMERA = { fps: 25, gop: 25, seconds: 120 } as const;

/**
 * The MP4 a camera serves: fixed content with B-frames, so frame counts are predictable. (The
 * helper's live x264enc encodes several slices per frame with SPS/PPS between them, which
 * ffmpeg conceals as "corrupt decoded frame" under -xerror when read straight from the camera.)
 */
export async function cameraClip(): Promise<string> {
  return (await makeTestClip({ width: 320, height: 240, fps: CAMERA.fps, gop: CAMERA.gop, seconds: CAMERA.seconds, videoBitrateKbps: 400 })).mp4;
}

/** The camera's content as FLV, for a publisher pushing what a camera would serve (a published backup). */
export async function pushedCameraClip(): Promise<string> {
  return (await makeTestClip({ width: 320, height: 240, fps: CAMERA.fps, gop: CAMERA.gop, seconds: CAMERA.seconds, videoBitrateKbps: 400 })).flv;
}

export async function startCamera(options: GstRtspServerOptions = {}): Promise<GstRtspServer> {
  return startGstRtspServer({ mounts: ['cam'], file: await cameraClip(), ...options });
}

export { freeTcpPort };

/** How many RTSP client connections a helper camera accepted so far (from its event lines). */
export function cameraConnections(proc: TrackedProcess): number {
  return (proc.stdout().match(/"event": "client-connected"/g) ?? []).length;
}

/** RTSP client connections a helper camera holds now (its last client-connected/closed line). */
export function cameraClients(proc: TrackedProcess): number {
  let clients = 0;
  for (const line of proc.stdout().split('\n')) {
    // A line still being written is not counted yet.
    if (!line.includes('"client-') || !line.trimEnd().endsWith('}')) continue;
    const event = JSON.parse(line) as { event: string; clients?: number };
    if ((event.event === 'client-connected' || event.event === 'client-closed') && typeof event.clients === 'number') clients = event.clients;
  }
  return clients;
}
