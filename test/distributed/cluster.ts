import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisStateStore } from '@streamgate/platform';
import { RealServer, startNatsServer, startRedisServer } from '@streamgate/platform/testing';
import {
  GstRtspServer, TestClip, freeTcpPort, freeUdpPortPair, makeTestClip, spawnTracked, startGstRtspServer, TrackedProcess, waitFor,
} from '@streamgate/testing';

/** Where the compiled services are (this file runs from dist/test/distributed). */
const DIST = join(__dirname, '..', '..');

export type ServiceName = 'ingest' | 'packetizer' | 'rtsp-egress' | 'control-api';

export interface ServiceProcess {
  readonly name: ServiceName;
  readonly env: Record<string, string>;
  readonly metricsPort: number;
  proc: TrackedProcess;
  /** Kill -9: no TEARDOWN, no lease release, as a crashed pod. */
  crash(): Promise<void>;
  stop(): Promise<void>;
}

/** One service alone in its own process (`node dist/services/<svc>/src/main.js`), as Kubernetes runs it. */
export async function startService(name: ServiceName, env: Record<string, string>, onOutput?: (text: string) => void): Promise<ServiceProcess> {
  const metricsPort = await freeTcpPort();
  const fullEnv = {
    ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'warn', METRICS_PORT: String(metricsPort), DATA_DIR: mkdtempSync(join(tmpdir(), `sg-${name}-`)), ...env,
  } as Record<string, string>;
  const script = join(DIST, 'services', name, 'src', 'main.js');
  const svc: ServiceProcess = {
    name, env: fullEnv, metricsPort,
    // onOutput sees every byte (the tracked capture keeps only the last 2 MB).
    proc: spawnTracked(process.execPath, [script], { env: fullEnv, onStdout: onOutput, onStderr: onOutput }),
    crash: async () => {
      svc.proc.child.kill('SIGKILL');
      await svc.proc.exited;
    },
    stop: async () => {
      await svc.proc.kill(8000);
    },
  };
  await waitFor(async () => {
    if (svc.proc.child.exitCode !== null) throw new Error(`${name} exited: ${svc.proc.stderr().slice(-2000)}`);
    try {
      return (await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).ok ? true : undefined;
    } catch {
      return undefined;
    }
  }, 20_000, `${name} ready`, 100);
  return svc;
}

export interface ClusterPorts {
  rtsp: number;
  udpRtp: number;
  api: number;
}

export async function clusterPorts(): Promise<ClusterPorts> {
  const pair = await freeUdpPortPair();
  return { rtsp: await freeTcpPort(), udpRtp: pair.rtp, api: await freeTcpPort() };
}

export async function ingestEnv(base: Record<string, string>): Promise<Record<string, string>> {
  return { ...base, RTMP_PORT: String(await freeTcpPort()) };
}

/** What every multi-process test stands on: its own NATS (JetStream) and Redis, cameras, ports. */
export interface ClusterInfra {
  nats: RealServer;
  redis: RealServer;
  /** A client of the cluster's Redis, for checks from outside. */
  store: RedisStateStore;
  cameras: GstRtspServer;
  /** The camera clip (`.mp4`) and the same as FLV for RTMP pushes. */
  clip: TestClip;
  ports: ClusterPorts;
  /** Environment every service gets: bus, store and the shared ports. */
  base: Record<string, string>;
  stop(): Promise<void>;
}

/** Redis without persistence (a restart loses the data), 320x240 25 fps clip with a 1 s GOP. */
export async function startClusterInfra(mounts: string[], clipSeconds = 60): Promise<ClusterInfra> {
  const nats = await startNatsServer();
  const redis = await startRedisServer();
  const store = new RedisStateStore({ url: redis.url });
  await store.ready();
  const clip = await makeTestClip({ width: 320, height: 240, fps: 25, gop: 25, seconds: clipSeconds, videoBitrateKbps: 300 });
  const cameras = await startGstRtspServer({ mounts, file: clip.mp4 });
  const ports = await clusterPorts();
  const base = { NATS_URL: nats.url, REDIS_URL: redis.url, RTSP_PORT: String(ports.rtsp), RTSP_UDP_RTP_PORT: String(ports.udpRtp), PORT: String(ports.api), RTSP_TIMEOUT: '5' };
  return {
    nats, redis, store, cameras, clip, ports, base,
    stop: async () => {
      await store.close();
      await cameras.stop();
      await nats.stop();
      await redis.stop();
    },
  };
}

/** POST /api/streams for each camera of the infra's GStreamer server (RTSP over TCP). */
export async function addCameras(infra: ClusterInfra, names: string[]): Promise<void> {
  for (const name of names) {
    const res = await fetch(`http://127.0.0.1:${infra.ports.api}/api/streams`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, rtsp_url: infra.cameras.url(name), transport: 'tcp' }),
    });
    if (res.status !== 201) throw new Error(`adding ${name}: ${res.status} ${await res.text()}`);
  }
}
