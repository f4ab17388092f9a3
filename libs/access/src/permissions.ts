/**
 * Actions and path patterns of MediaMTX's permission model (`authInternalUsers`):
 *
 *   permissions: [{ action: read, path: cam1 }, { action: publish, path: "~^drone" }]
 *
 * An empty or missing path means any path; a path starting with `~` is a regular expression,
 * searched (not anchored) as MediaMTX does, so `~^drone` anchors explicitly. `api` and
 * `metrics` take no path.
 */
export const ACCESS_ACTIONS = ['read', 'publish', 'playback', 'api', 'metrics'] as const;
export type AccessAction = (typeof ACCESS_ACTIONS)[number];
/** MediaMTX also has `pprof`; accepted so configs carry over, never granted anything here. */
export const CONFIG_ACTIONS = [...ACCESS_ACTIONS, 'pprof'] as const;
export type ConfigAction = (typeof CONFIG_ACTIONS)[number];

export const ACCESS_PROTOCOLS = ['rtsp', 'rtmp', 'hls', 'webrtc', 'http'] as const;
export type AccessProtocol = (typeof ACCESS_PROTOCOLS)[number];

/** Longest regular expression accepted in a permission (config is trusted; this bounds mistakes). */
export const MAX_PATH_PATTERN_LENGTH = 512;

export class PermissionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermissionError';
  }
}

export interface PermissionSpec {
  action: ConfigAction;
  path?: string | null;
}

export interface Permission {
  readonly action: ConfigAction;
  /** As configured, for messages. */
  readonly path: string;
  matches(action: AccessAction, path: string): boolean;
}

export function compilePermission(spec: PermissionSpec): Permission {
  const path = spec.path ?? '';
  if (path.length > MAX_PATH_PATTERN_LENGTH) throw new PermissionError(`permission path longer than ${MAX_PATH_PATTERN_LENGTH} characters`);
  let pathMatches: (p: string) => boolean;
  if (path === '') pathMatches = () => true;
  else if (path.startsWith('~')) {
    let re: RegExp;
    try {
      re = new RegExp(path.slice(1));
    } catch (err) {
      throw new PermissionError(`permission path ${JSON.stringify(path.slice(0, 64))} is not a valid regular expression (${(err as Error).message})`);
    }
    pathMatches = (p) => re.test(p);
  } else pathMatches = (p) => p === path;
  const pathless = spec.action === 'api' || spec.action === 'metrics';
  return {
    action: spec.action,
    path,
    matches: (action, p) => action === spec.action && (pathless || pathMatches(p)),
  };
}

export function anyPermits(permissions: readonly Permission[], action: AccessAction, path: string): boolean {
  return permissions.some((p) => p.matches(action, path));
}
