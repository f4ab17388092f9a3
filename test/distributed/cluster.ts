import { join } from 'node:path';
import { freeTcpPort, freeUdpPortPair, spawnTracked, TrackedProcess, waitFor } from '@streamgate/testing';

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
export async function startService(name: ServiceName, env: Record<string, string>): Promise<ServiceProcess> {
  const metricsPort = await freeTcpPort();
  const fullEnv = { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'warn', METRICS_PORT: String(metricsPort), ...env } as Record<string, string>;
  const script = join(DIST, 'services', name, 'src', 'main.js');
  const svc: ServiceProcess = {
    name, env: fullEnv, metricsPort,
    proc: spawnTracked(process.execPath, [script], { env: fullEnv }),
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
