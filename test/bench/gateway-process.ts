import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GATEWAY_NODE_FLAGS } from '@streamgate/platform';
import { freeTcpPort, freeUdpPortPair, spawnTracked, TrackedProcess, waitFor } from '@streamgate/testing';

/** The compiled tree this benchmark runs from (dist/test/bench/*.js → dist). */
export const DIST = resolve(__dirname, '..', '..');

/** The all-in-one gateway (`node dist/services/all-in-one.js`) as a child process on free loopback ports. */
export interface GatewayProcess {
  readonly proc: TrackedProcess;
  readonly pid: number;
  readonly rtspPort: number;
  readonly rtmpPort: number;
  readonly apiPort: number;
  readonly metricsPort: number;
  /** DATA_DIR of this gateway (removed by stop()). */
  readonly dataDir: string;
  readonly hlsPort: number;
  /** JSON request to the control API; rejects on a non-2xx answer. */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Every pusher and reader of a benchmark comes from 127.0.0.1: the per-address caps (RTMP 16,
 * RTSP 64 connections) would refuse the fleet, so every benchmark gateway lifts them above it
 * (startAllInOne; the latency benchmark's separate services take them too).
 */
export const LOOPBACK_FLEET_LIMITS: Readonly<Record<string, string>> = {
  RTMP_MAX_CONNECTIONS_PER_ADDRESS: '10000',
  RTSP_MAX_CONNECTIONS_PER_ADDRESS: '10000',
};

/** JSON over HTTP to 127.0.0.1:<port>; rejects with the status and body on a non-2xx answer. */
export async function httpJson<T>(port: number, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function httpText(port: number, path: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  if (!res.ok) throw new Error(`GET ${path} answered ${res.status}`);
  return res.text();
}

export async function startAllInOne(env: Record<string, string> = {}, startTimeoutMs = 30_000): Promise<GatewayProcess> {
  const [rtspPort, rtmpPort, apiPort, metricsPort, hlsPort, udp] = await Promise.all([
    freeTcpPort(), freeTcpPort(), freeTcpPort(), freeTcpPort(), freeTcpPort(), freeUdpPortPair(),
  ]);
  const dataDir = mkdtempSync(join(tmpdir(), 'streamgate-bench-data-'));
  let ready = false;
  // BENCH_GATEWAY_NODE_ARGS: node options for the gateway alone, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
  // (NODE_OPTIONS refuses --cpu-prof, and would profile the benchmark too).
  // The options it ships with come first (npm start and the images use the same).
  const nodeArgs = [...GATEWAY_NODE_FLAGS, ...(process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(/\s+/).filter(Boolean)];
  const proc = spawnTracked(process.execPath, [...nodeArgs, join(DIST, 'services', 'all-in-one.js')], {
    cwd: dataDir,
    env: {
      // Every benchmark's clients are on 127.0.0.1 (the shell's environment may still set the caps).
      ...LOOPBACK_FLEET_LIMITS,
      ...process.env,
      HOST: '127.0.0.1',
      PUBLIC_HOST: '127.0.0.1',
      RTSP_PORT: String(rtspPort),
      RTMP_PORT: String(rtmpPort),
      PORT: String(apiPort),
      METRICS_PORT: String(metricsPort),
      HLS_PORT: String(hlsPort),
      RTSP_UDP_RTP_PORT: String(udp.rtp),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      ...env,
    },
    onStdout: () => {
      ready ||= proc.stdout().includes('streamgate ready');
    },
  });
  const stop = async (): Promise<void> => {
    await proc.kill(8000);
    // BENCH_GATEWAY_OUTPUT=<file>: the gateway's stdout and stderr, kept (e.g. with "--trace-gc" in BENCH_GATEWAY_NODE_ARGS).
    const keep = process.env.BENCH_GATEWAY_OUTPUT;
    if (keep) writeFileSync(keep, proc.stdout() + proc.stderr());
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitFor(() => {
      if (proc.child.exitCode !== null) throw new Error(`gateway exited (code ${proc.child.exitCode}): ${proc.stderr().slice(-1500)}`);
      return ready ? true : undefined;
    }, startTimeoutMs, 'the gateway to print "streamgate ready"', 100);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    proc,
    pid: proc.pid,
    rtspPort,
    rtmpPort,
    apiPort,
    metricsPort,
    dataDir,
    hlsPort,
    api: (method, path, body) => httpJson(apiPort, method, path, body),
    metrics: () => httpText(metricsPort, '/metrics'),
    stop,
  };
}

/** First line of `<cmd> <args>` (stdout, else stderr): tool versions for the report. */
export async function firstLine(cmd: string, args: string[]): Promise<string> {
  const p = spawnTracked(cmd, args);
  await p.exited;
  return (p.stdout() || p.stderr()).split('\n')[0].trim();
}

/**
 * Commit and whether the service code had uncommitted changes, for the report. A copy of the
 * tree built elsewhere (so a rebuild cannot change it mid-run) says what it is in a REVISION
 * file beside its dist/.
 */
export async function sourceRevision(): Promise<string> {
  const pinned = join(DIST, '..', 'REVISION');
  if (existsSync(pinned)) return readFileSync(pinned, 'utf8').trim();
  const head = await firstLine('git', ['-C', DIST, 'rev-parse', '--short', 'HEAD']);
  const dirty = spawnTracked('git', ['-C', DIST, 'status', '--porcelain', '--', ':/services', ':/libs']);
  await dirty.exited;
  const changed = dirty.stdout().split('\n').filter(Boolean).length;
  return changed ? `${head} + ${changed} uncommitted file(s) under services/ and libs/` : head;
}

