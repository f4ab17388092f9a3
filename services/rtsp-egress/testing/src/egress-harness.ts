import { ChildProcess, spawn } from 'node:child_process';
import {
  AccessControl, ConfigSchema, GatewayConfig, InProcessBus, MemoryStateStore, ServiceContext, createLogger, createMetricsCatalog, securityContext,
} from '@streamgate/platform';
import { recordChild } from '@streamgate/testing';

/** What rtsp-egress's start function returns, as far as the tests need it. */
export interface RunningEgress {
  readonly rtspPort: number;
  readonly udpRtpPort: number;
  stop(): Promise<void>;
}

export type StartEgress<T> = (ctx: ServiceContext, tuning?: T) => Promise<RunningEgress>;

/** The egress the test passes in (a testing project never imports the service it tests). */
export interface EgressUnderTest {
  egress: RunningEgress;
  bus: InProcessBus;
  store: MemoryStateStore;
  url(stream: string): string;
  stop(): Promise<void>;
}

export async function startEgressForTest<T>(startRtspEgress: StartEgress<T>, config: Partial<GatewayConfig> = {}, tuning?: T): Promise<EgressUnderTest> {
  const bus = new InProcessBus();
  const store = new MemoryStateStore();
  const full = { ...ConfigSchema.parse({ HOST: '127.0.0.1', RTSP_PORT: 0, RTSP_UDP_RTP_PORT: 0 }), ...config };
  const logger = createLogger({ service: 'rtsp-egress-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const metrics = createMetricsCatalog('rtsp-egress');
  const egress = await startRtspEgress(
    { bus, store, config: full, logger, metrics, ...securityContext(full, logger), access: new AccessControl(full, logger, metrics) },
    tuning,
  );
  return {
    egress, bus, store,
    url: (stream) => `rtsp://127.0.0.1:${egress.rtspPort}/${stream}`,
    stop: async () => {
      await egress.stop();
      await bus.close();
    },
  };
}

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a real peer with a hard time limit; the process is killed when the limit passes. */
export function runTool(cmd: string, args: string[], timeoutMs: number): Promise<ToolResult> {
  return new Promise((resolve) => {
    const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    recordChild(child, cmd);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
