import { ChildProcess, spawn } from 'node:child_process';
import { ConfigSchema, GatewayConfig, InProcessBus, MemoryStateStore, createLogger, createMetricsCatalog } from '@streamgate/platform';
import { RtspEgress, RtspEgressTuning, startRtspEgress } from '../index';

export interface EgressUnderTest {
  egress: RtspEgress;
  bus: InProcessBus;
  store: MemoryStateStore;
  url(stream: string): string;
  stop(): Promise<void>;
}

export async function startEgressForTest(config: Partial<GatewayConfig> = {}, tuning: RtspEgressTuning = {}): Promise<EgressUnderTest> {
  const bus = new InProcessBus();
  const store = new MemoryStateStore();
  const full = ConfigSchema.parse({ HOST: '127.0.0.1', RTSP_PORT: 0, RTSP_UDP_RTP_PORT: 0 });
  const egress = await startRtspEgress(
    { bus, store, config: { ...full, ...config }, logger: createLogger({ service: 'rtsp-egress-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' }), metrics: createMetricsCatalog('rtsp-egress') },
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
