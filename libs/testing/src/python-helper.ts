import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Debian's interpreter: it has gi (GStreamer bindings); the python3 first on PATH may not. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

/**
 * Absolute path of a script in libs/testing/python. Found by walking up from this file, so it
 * works from the sources and from the compiled copy in dist/ alike.
 */
export function pythonHelperPath(script: string): string {
  let dir = __dirname;
  for (;;) {
    const candidate = join(dir, 'libs', 'testing', 'python', script);
    if (existsSync(candidate)) return candidate;
    const sibling = join(dir, 'python', script);
    if (existsSync(sibling)) return sibling;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`python helper ${script} not found above ${__dirname}`);
    dir = parent;
  }
}
