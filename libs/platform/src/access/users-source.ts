import { existsSync, readFileSync } from 'node:fs';
import type { GatewayConfig } from '../config/config';
import { ConfigDocument, readJsonConfigFile } from '../config/config-file-reloader';

/**
 * Where the users list comes from: the `users` key of the STREAMS_CONFIG file (default
 * ./config.json when present; MediaMTX's `authInternalUsers` is read too, so a converted
 * mediamtx.yml carries over), and AUTH_USERS (inline JSON, or the path of a JSON file such as a
 * mounted Kubernetes Secret). The config file is given as the process's ConfigFileReloader
 * read it (AccessControl subscribes to it: config.json has one reader and one watcher). Entries
 * of AUTH_USERS are joined to the file's by `user`, filling what the file leaves out (typically
 * `pass`); the others are added. Both absent: undefined, and the gateway stays open.
 */
export class UsersSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsersSourceError';
  }
}

type RawUser = Record<string, unknown> & { user?: unknown };

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    // The parser's message quotes the text, which may hold a password: keep only the position.
    const pos = /position \d+/.exec((err as Error).message)?.[0] ?? 'unparsable';
    throw new UsersSourceError(`${where}: not valid JSON (${pos})`);
  }
}

function usersOf(doc: unknown, where: string, required: boolean): RawUser[] | undefined {
  const list = Array.isArray(doc) ? doc : (doc as { users?: unknown; authInternalUsers?: unknown } | null)?.users
    ?? (doc as { authInternalUsers?: unknown } | null)?.authInternalUsers;
  if (list === undefined && !required) return undefined;
  if (!Array.isArray(list)) throw new UsersSourceError(`${where}: expected [...] or {"users": [...]}`);
  return list as RawUser[];
}

/** The AUTH_USERS file (a mounted Secret), when AUTH_USERS names one: watched apart from config.json. */
export function usersSecretFile(config: Pick<GatewayConfig, 'AUTH_USERS'>): string | undefined {
  const value = config.AUTH_USERS?.trim();
  return value && !value.startsWith('[') && !value.startsWith('{') ? value : undefined;
}

/** The config file as a document, read now (callers without the process's ConfigFileReloader). */
export function readConfigDocument(config: Pick<GatewayConfig, 'STREAMS_CONFIG'>): ConfigDocument | undefined {
  const path = config.STREAMS_CONFIG ?? 'config.json';
  return existsSync(path) ? { path, data: readJsonConfigFile(path) } : undefined;
}

/** The users list of the config file (read now), joined with AUTH_USERS. */
export function readUsersSource(config: Pick<GatewayConfig, 'STREAMS_CONFIG' | 'AUTH_USERS'>): RawUser[] | undefined {
  return usersOfSources(config, readConfigDocument(config));
}

/** The users list of a config document (its `users`, or `authInternalUsers`), joined with AUTH_USERS. */
export function usersOfSources(config: Pick<GatewayConfig, 'AUTH_USERS'>, doc: ConfigDocument | undefined): RawUser[] | undefined {
  const fromFile = doc ? usersOf(doc.data, doc.path, false) : undefined;
  const value = config.AUTH_USERS?.trim();
  if (!value) return fromFile;
  let fromEnv: RawUser[] | undefined;
  if (value.startsWith('[') || value.startsWith('{')) fromEnv = usersOf(parseJson(value, 'AUTH_USERS'), 'AUTH_USERS', true);
  else {
    if (!existsSync(value)) throw new UsersSourceError(`AUTH_USERS=${value}: file not found`);
    fromEnv = usersOf(parseJson(readFileSync(value, 'utf8'), `AUTH_USERS=${value}`), `AUTH_USERS=${value}`, true);
  }
  if (!fromFile) return fromEnv;
  const merged = fromFile.map((u) => ({ ...u }));
  for (const extra of fromEnv ?? []) {
    const same = merged.find((u) => u.user !== undefined && u.user === extra.user && u.user !== 'any');
    if (same) {
      for (const [k, v] of Object.entries(extra)) if (same[k] === undefined || same[k] === null || same[k] === '') same[k] = v;
    } else merged.push(extra);
  }
  return merged;
}
