import { ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeTcpPort, recordChild } from '@streamgate/testing';

/**
 * Real nats-server and redis-server processes for driver tests, on loopback and free ports.
 * TEST_NATS_URL / TEST_REDIS_URL point the tests at servers that are already running instead
 * (tests that restart servers always start their own).
 */
export interface RealServer {
  readonly url: string;
  readonly port: number;
  /** SIGKILL (crash) or SIGTERM (clean), then wait for exit. */
  stop(signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  /** Starts the same server again on the same port (and data dir). */
  restart(): Promise<void>;
}

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const sock = connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve();
      });
      sock.once('error', () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

async function startProcess(cmd: string, args: string[], port: number): Promise<ChildProcess> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  recordChild(child, cmd);
  children.add(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 8192) stderr += d.toString();
  });
  child.once('exit', () => children.delete(child));
  try {
    await waitForPort(port, 10_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${cmd} did not start: ${(err as Error).message}\n${stderr}`);
  }
  return child;
}

function stopper(get: () => ChildProcess | undefined): (signal?: 'SIGKILL' | 'SIGTERM') => Promise<void> {
  return async (signal = 'SIGTERM') => {
    const child = get();
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
}

/**
 * JetStream is on (as in production, where it keeps the registry journal) unless `jetstream`
 * is false; its store is a fresh temporary directory that survives restart().
 */
export async function startNatsServer(options: { jetstream?: boolean } = {}): Promise<RealServer> {
  const port = await freeTcpPort();
  const args = ['-a', '127.0.0.1', '-p', String(port)];
  if (options.jetstream !== false) args.push('-js', '-sd', mkdtempSync(join(tmpdir(), 'sg-nats-')));
  let child: ChildProcess | undefined = await startProcess('nats-server', args, port);
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    stop: stopper(() => child),
    restart: async () => {
      child = await startProcess('nats-server', args, port);
    },
  };
}

export async function startRedisServer(options: { persistent?: boolean } = {}): Promise<RealServer> {
  const port = await freeTcpPort();
  const dir = mkdtempSync(join(tmpdir(), 'sg-redis-'));
  // With persistence on (appendonly, fsync always) a restart keeps the registry, as in production.
  const args = ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '',
    '--appendonly', options.persistent ? 'yes' : 'no', '--appendfsync', 'always'];
  let child: ChildProcess | undefined = await startProcess('redis-server', args, port);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: stopper(() => child),
    restart: async () => {
      child = await startProcess('redis-server', args, port);
    },
  };
}
