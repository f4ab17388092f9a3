import { connect } from 'node:net';
import { pythonHelperPath, SYSTEM_PYTHON } from './python-helper';
import { spawnTracked, TrackedProcess, waitFor, withTimeout } from './processes';
import { freeTcpPort } from './ports';

export interface GstRtspServerOptions {
  /** Mount names; each is an independent camera at rtsp://127.0.0.1:<port>/<mount>. */
  mounts?: string[];
  /** Serve this pre-encoded MP4 (H.264 + AAC) instead of live test sources. */
  file?: string;
  width?: number;
  height?: number;
  fps?: number;
  gop?: number;
  /** Video bitrate, kbit/s. */
  bitrateKbps?: number;
  audio?: boolean;
  /** Live video codec (x264enc or x265enc); default h264. */
  codec?: 'h264' | 'h265';
  /** h265 only: B-frames between references (default none: tune=zerolatency). */
  bframes?: number;
  auth?: { method: 'basic' | 'digest'; user: string; password: string };
  /** Lower transports offered; 'tcp' simulates a camera that refuses UDP. */
  protocols?: 'tcp' | 'udp' | 'tcp+udp';
  sessionTimeoutSec?: number;
  /** One pipeline for all clients of a mount (default), as a camera has one encoder. */
  shared?: boolean;
  statusIntervalMs?: number;
  startTimeoutMs?: number;
  /** Address to listen on (default 127.0.0.1); url() keeps naming 127.0.0.1, which 0.0.0.0 also answers. */
  address?: string;
}

export interface MountSessions {
  sessions: number;
  playing: number;
}

export interface GstRtspServer {
  readonly port: number;
  readonly process: TrackedProcess;
  /** rtsp://[user:pass@]127.0.0.1:<port>/<path>; credentials only when given. */
  url(path?: string, credentials?: { user: string; password: string }): string;
  /** Latest session counts per mount, as last reported by the server. */
  sessions(): Record<string, MountSessions>;
  /** Connected RTSP clients (TCP control connections), as last reported. */
  clients(): number;
  /** RTSP sessions the server created since it started (a reconnecting client makes a new one). */
  sessionsCreated(): number;
  /**
   * Stops the video of the media playing now (SIGUSR1 closes its video valve) while its audio
   * flows on, as a camera whose encoder hung; media made for later sessions flow again.
   * Resolves once the server says it did.
   */
  stallVideo(ms?: number): Promise<void>;
  /** Resolves once `predicate` holds for the reported counts. */
  waitForSessions(predicate: (mounts: Record<string, MountSessions>) => boolean, ms: number): Promise<void>;
  stop(): Promise<void>;
}

interface ServerEvent {
  event: string;
  port?: number;
  clients?: number;
  message?: string;
  mounts?: Record<string, MountSessions> | string[];
  total?: number;
  media?: number;
}

function toArgs(o: GstRtspServerOptions): string[] {
  const args = ['--mounts', (o.mounts ?? ['test']).join(',')];
  if (o.file) args.push('--file', o.file);
  if (o.width) args.push('--width', String(o.width));
  if (o.height) args.push('--height', String(o.height));
  if (o.fps) args.push('--fps', String(o.fps));
  if (o.gop) args.push('--gop', String(o.gop));
  if (o.bitrateKbps) args.push('--bitrate', String(o.bitrateKbps));
  if (o.audio === false) args.push('--no-audio');
  if (o.codec) args.push('--codec', o.codec);
  if (o.bframes) args.push('--bframes', String(o.bframes));
  if (o.auth) args.push('--auth', o.auth.method, '--user', o.auth.user, '--password', o.auth.password);
  if (o.protocols) args.push('--protocols', o.protocols);
  if (o.sessionTimeoutSec) args.push('--session-timeout', String(o.sessionTimeoutSec));
  if (o.shared === false) args.push('--no-shared');
  if (o.statusIntervalMs) args.push('--status-interval-ms', String(o.statusIntervalMs));
  if (o.address) args.push('--address', o.address);
  return args;
}

function parseEvent(line: string): ServerEvent {
  try {
    return JSON.parse(line) as ServerEvent;
  } catch (e) {
    return { event: 'unparsable', message: `${line}: ${String(e)}` };
  }
}

function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts GStreamer's RTSP server (python helper) and resolves once its port accepts connections. */
export async function startGstRtspServer(options: GstRtspServerOptions = {}): Promise<GstRtspServer> {
  let sessions: Record<string, MountSessions> = {};
  let clients = 0;
  let created = 0;
  let stalls = 0;
  let port = 0;
  let pending = '';
  const listeners = new Set<() => void>();
  const onEvent = (e: ServerEvent): void => {
    if (e.event === 'ready' && typeof e.port === 'number') port = e.port;
    if (typeof e.clients === 'number') clients = e.clients;
    if (e.event === 'sessions' && e.mounts && !Array.isArray(e.mounts)) sessions = e.mounts;
    if (e.event === 'session-created' && typeof e.total === 'number') created = e.total;
    if (e.event === 'video-stalled') stalls++;
    for (const l of listeners) l();
  };
  // A port from the test allocator, not port 0: one the kernel picks may be another test file's
  // camera port, free only while that camera is down (ports.ts).
  const args = ['--port', String(await freeTcpPort()), ...toArgs(options)];
  const proc = spawnTracked(SYSTEM_PYTHON, [pythonHelperPath('gst_rtsp_server.py'), ...args], {
    onStdout: (chunk) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        // GStreamer may print its own warnings; only our JSON lines are events.
        if (line.startsWith('{')) onEvent(parseEvent(line));
      }
    },
  });
  const failed = proc.exited.then((s) => {
    throw new Error(`gst_rtsp_server.py exited (code ${s.code}, signal ${s.signal}) before it was ready: ${proc.stderr()}`);
  });
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  try {
    await withTimeout(
      Promise.race([failed, waitFor(async () => (port && (await tcpAccepts(port)) ? true : undefined), timeoutMs, 'port')]),
      timeoutMs,
      'GStreamer RTSP server to accept connections',
    );
  } catch (e) {
    await proc.kill();
    throw e;
  }
  failed.catch(() => undefined);

  return {
    port,
    process: proc,
    url: (path = (options.mounts ?? ['test'])[0], credentials) => {
      const userinfo = credentials
        ? `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@`
        : '';
      return `rtsp://${userinfo}127.0.0.1:${port}/${path}`;
    },
    sessions: () => sessions,
    clients: () => clients,
    sessionsCreated: () => created,
    stallVideo: async (ms = 5000) => {
      const before = stalls;
      proc.child.kill('SIGUSR1');
      await waitFor(() => (stalls > before ? true : undefined), ms, 'the camera to stall its video', 20);
    },
    waitForSessions: (predicate, ms) =>
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (!predicate(sessions)) return;
          done();
          resolve();
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`GStreamer RTSP server sessions did not match within ${ms} ms (last: ${JSON.stringify(sessions)})`));
        }, ms);
        const done = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      }),
    stop: async () => {
      await proc.kill();
    },
  };
}
