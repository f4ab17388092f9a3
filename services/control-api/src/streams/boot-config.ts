import { existsSync, readFileSync } from 'node:fs';
import { ConfigError } from '@streamgate/platform';

/**
 * Reads the streams file given by STREAMS_CONFIG (or ./config.json when present):
 * `{"streams":[...]}` in the POST /api/config/streams format. A missing file named
 * explicitly or a file that is not that shape stops start-up with a message naming it.
 */
export function readStreamsConfig(explicitPath: string | undefined, credentialsPath?: string): { path: string; streams: unknown[] } | undefined {
  const path = explicitPath ?? 'config.json';
  if (!existsSync(path)) {
    if (explicitPath) throw new ConfigError(`STREAMS_CONFIG=${explicitPath}: file not found`);
    return undefined;
  }
  const streams = readStreamsArray(path);
  if (credentialsPath === undefined) return { path, streams };
  if (!existsSync(credentialsPath)) throw new ConfigError(`STREAMS_CREDENTIALS=${credentialsPath}: file not found`);
  const byName = new Map<string, { username?: unknown; password?: unknown }>();
  for (const c of readStreamsArray(credentialsPath)) {
    if (c && typeof c === 'object' && typeof (c as { name?: unknown }).name === 'string') byName.set((c as { name: string }).name, c as object);
  }
  const merged = streams.map((s) => {
    if (!s || typeof s !== 'object') return s;
    const creds = byName.get(String((s as { name?: unknown }).name));
    if (!creds) return s;
    return { ...s, ...(creds.username !== undefined ? { username: creds.username } : {}), ...(creds.password !== undefined ? { password: creds.password } : {}) };
  });
  return { path, streams: merged };
}

function readStreamsArray(path: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    // The parser's message quotes the offending text, which may be a password: keep only the position.
    const where = /position \d+/.exec((err as Error).message)?.[0] ?? 'unparsable';
    throw new ConfigError(`${path}: not valid JSON (${where})`);
  }
  const streams = (parsed as { streams?: unknown })?.streams;
  if (!Array.isArray(streams)) throw new ConfigError(`${path}: expected {"streams": [...]}`);
  return streams;
}
