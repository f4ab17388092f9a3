import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

/** Captured output is capped so a chatty peer (ffmpeg -loglevel debug) cannot eat the heap. */
const MAX_CAPTURE_CHARS = 2 * 1024 * 1024;

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface TrackedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves once the process has exited (never rejects; a spawn failure exits with code -1). */
  readonly exited: Promise<ExitStatus>;
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  kill(graceMs?: number): Promise<ExitStatus>;
}

export interface SpawnTrackedOptions extends SpawnOptions {
  /** Called with each chunk of stdout text as it arrives (after capture). */
  onStdout?: (text: string) => void;
  onStderr?: (text: string) => void;
}

const tracked = new Set<TrackedProcess>();
let exitHookInstalled = false;

function installExitHooks(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL is the only thing that surely lands.
  process.on('exit', () => {
    for (const p of tracked) p.child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      for (const p of tracked) p.child.kill('SIGKILL');
      // Our listener replaced the default action; re-raise so the process still dies of it.
      process.kill(process.pid, signal);
    });
  }
}

function appendCapped(current: string, chunk: string): string {
  const next = current + chunk;
  return next.length > MAX_CAPTURE_CHARS ? next.slice(next.length - MAX_CAPTURE_CHARS) : next;
}

/**
 * Writes the child's PID where `test/run.mjs` looks after the run (`STREAMGATE_TEST_PIDS`, a
 * directory it made): a test file the runner killed on its timeout never runs its cleanup, so the
 * runner kills what that file left behind. Every spawner of test peers calls this.
 */
export function recordChild(child: ChildProcess, cmd: string): void {
  const dir = process.env.STREAMGATE_TEST_PIDS;
  if (!dir || child.pid === undefined) return;
  try {
    appendFileSync(join(dir, `${process.pid}.pids`), `${child.pid} ${cmd.split('/').pop()}\n`);
  } catch {
    // The runner's directory is gone (run ended): nothing to record for.
  }
}

/** Spawns a child that is killed by `killAll()` and when this process exits, however it exits. */
export function spawnTracked(cmd: string, args: readonly string[], opts: SpawnTrackedOptions = {}): TrackedProcess {
  installExitHooks();
  const { onStdout, onStderr, ...spawnOptions } = opts;
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...spawnOptions });
  recordChild(child, cmd);
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out = appendCapped(out, chunk);
    onStdout?.(chunk);
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err = appendCapped(err, chunk);
    onStderr?.(chunk);
  });
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('error', (e) => {
      err = appendCapped(err, `\nspawn ${cmd} failed: ${e.message}\n`);
      resolve({ code: -1, signal: null });
    });
    // 'close', not 'exit': only then has all of stdout/stderr been read.
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  const handle: TrackedProcess = {
    child,
    pid: child.pid ?? -1,
    exited,
    stdout: () => out,
    stderr: () => err,
    kill: async (graceMs = 2000) => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        timer.unref();
        const status = await exited;
        clearTimeout(timer);
        return status;
      }
      return exited;
    },
  };
  tracked.add(handle);
  void exited.then(() => tracked.delete(handle));
  return handle;
}

/** Kills every child spawned through `spawnTracked` that is still running. */
export async function killAll(graceMs = 2000): Promise<void> {
  await Promise.all([...tracked].map((p) => p.kill(graceMs)));
}

export class TimeoutError extends Error {
  constructor(readonly what: string, readonly ms: number) {
    super(`timed out after ${ms} ms: ${what}`);
    this.name = 'TimeoutError';
  }
}

/** Rejects with a TimeoutError naming `what` unless `promise` settles within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` until it returns a value (not undefined) or `ms` passes. */
export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, ms: number, what: string, everyMs = 100): Promise<T> {
  const deadline = Date.now() + ms;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      lastError = e;
    }
    await delay(everyMs);
  }
  const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  throw new TimeoutError(`${what}${why}`, ms);
}
