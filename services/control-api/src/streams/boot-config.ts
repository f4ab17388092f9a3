import { existsSync, readFileSync } from 'node:fs';
import { ConfigError } from '@streamgate/platform';

/**
 * Reads the streams file given by STREAMS_CONFIG (or ./config.json when present):
 * `{"streams":[...]}` in the POST /api/config/streams format. A missing file named
 * explicitly or a file that is not that shape stops start-up with a message naming it.
 */
export function readStreamsConfig(explicitPath: string | undefined): { path: string; streams: unknown[] } | undefined {
  const path = explicitPath ?? 'config.json';
  if (!existsSync(path)) {
    if (explicitPath) throw new ConfigError(`STREAMS_CONFIG=${explicitPath}: file not found`);
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  const streams = (parsed as { streams?: unknown })?.streams;
  if (!Array.isArray(streams)) throw new ConfigError(`${path}: expected {"streams": [...]}`);
  return { path, streams };
}
