import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * Gateway configuration from the environment (and a `.env` file when present), validated at
 * start. A bad value stops the process with a message naming the variable.
 */
const port = z.coerce.number().int().min(0).max(65535);
const bool = z
  .union([z.boolean(), z.string()])
  .transform((v) => (typeof v === 'boolean' ? v : ['1', 'true', 'yes', 'on'].includes(v.toLowerCase())));

export const ConfigSchema = z.object({
  HOST: z.string().min(1).default('0.0.0.0'),
  /** Host name put into the URLs we hand out (RTSP play URL, RTMP publish URL). */
  PUBLIC_HOST: z.string().min(1).optional(),
  PORT: port.default(5001),
  RTSP_PORT: port.default(8554),
  /** /metrics, /healthz and /readyz of each service (the all-in-one serves one for all). */
  METRICS_PORT: port.default(9464),
  /** Server RTP/RTCP port pair shared by all UDP readers (RTP even, RTCP = RTP + 1). */
  RTSP_UDP_RTP_PORT: port.default(8000),
  RTMP_PORT: port.default(1935),
  DEBUG: bool.default(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  /** Seconds without media before a pulled camera is considered dead. */
  RTSP_TIMEOUT: z.coerce.number().positive().max(3600).default(10),
  /** Local UDP ports for pulled cameras' RTP/RTCP pairs, e.g. `20000-20999`; unset: the kernel picks. */
  RTSP_CLIENT_UDP_PORT_RANGE: z.string().regex(/^\d{4,5}-\d{4,5}$/, 'expected a range such as 20000-20999').optional(),
  /** What a camera's `transport: auto` means: `auto` (UDP, TCP when UDP fails), `udp` or `tcp`. */
  RTSP_TRANSPORT_DEFAULT: z.enum(['auto', 'udp', 'tcp']).default('auto'),
  /** Deadline of each request to a camera (and of connecting), ms. */
  RTSP_CLIENT_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(500).max(120_000).default(10_000),
  /** RTSP session timeout announced to readers, seconds. */
  RTSP_SESSION_TIMEOUT: z.coerce.number().int().min(5).max(3600).default(60),
  /** Largest RTSP request head accepted from a reader, bytes. */
  RTSP_MAX_REQUEST_BYTES: z.coerce.number().int().min(1024).max(1 << 20).default(16 * 1024),
  RTSP_MAX_SESSIONS: z.coerce.number().int().min(1).max(100_000).default(1000),
  /**
   * Merged writes to RTSP/TCP readers: once a stream has RTSP_TCP_MERGE_READERS TCP readers,
   * units wait up to this many ms to be written with the ones after them (fewer TCP segments,
   * about half the CPU per reader; see docs/benchmarks.md). 0 writes every unit at once.
   */
  RTSP_TCP_MERGE_MS: z.coerce.number().int().min(0).max(100).default(20),
  RTSP_TCP_MERGE_READERS: z.coerce.number().int().min(1).max(100_000).default(32),
  /** Bytes queued for one TCP reader before it is dropped as too slow. */
  READER_QUEUE_BYTES: z.coerce.number().int().min(64 * 1024).max(1 << 30).default(8 * 1024 * 1024),
  /** RTP payload size budget for repacketization (FU-A above this). */
  RTP_MAX_PAYLOAD: z.coerce.number().int().min(200).max(65000).default(1400),
  RTMP_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(100_000).default(500),
  RTMP_MAX_MESSAGE_BYTES: z.coerce.number().int().min(64 * 1024).max(64 << 20).default(16 << 20),
  /** Whether pushes are accepted only for keys enabled through the API. */
  RTMP_REQUIRE_KNOWN_KEYS: bool.default(false),
  /** config.json with {"streams":[...]} loaded at boot (default ./config.json when present). */
  STREAMS_CONFIG: z.string().optional(),
  /**
   * Camera credentials kept apart from config.json (a Kubernetes Secret):
   * {"streams":[{"name","username","password"}]}, joined to the config by name at boot.
   */
  STREAMS_CREDENTIALS: z.string().optional(),
  /** When set, mutating API routes need `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
  API_KEY: z.string().min(8, 'API_KEY must be at least 8 characters').optional(),
  /** Require the API key on read routes too. */
  API_KEY_READS: bool.default(false),
  /** Comma-separated allowed origins for CORS, or `*`. Unset: CORS off. */
  CORS_ORIGINS: z.string().optional(),
  /** Largest JSON request body, bytes. */
  API_MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(64 << 20).default(1 << 20),
  /** JPEG snapshots: ffmpeg decode time limit and how many may run at once. */
  SNAPSHOT_TIMEOUT_MS: z.coerce.number().int().min(500).max(60_000).default(5000),
  SNAPSHOT_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(2),
  NATS_URL: z.string().optional(),
  REDIS_URL: z.string().optional(),
  DATA_DIR: z.string().default('./data'),
});

/** Values never echoed in errors or logs. */
const SECRET_CONFIG_KEYS = new Set(['API_KEY', 'NATS_URL', 'REDIS_URL']);

export type GatewayConfig = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Reads KEY=VALUE lines; `#` comments; optional quotes. Existing env wins over the file. */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2];
    if (/^(['"]).*\1$/.test(value)) value = value.slice(1, -1);
    out[m[1]] = value;
  }
  return out;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, dotEnvPath = '.env'): GatewayConfig {
  const fromFile = existsSync(dotEnvPath) ? parseDotEnv(readFileSync(dotEnvPath, 'utf8')) : {};
  const merged: Record<string, string | undefined> = { ...fromFile, ...env };
  const relevant: Record<string, string> = {};
  for (const key of Object.keys(ConfigSchema.shape)) {
    const v = merged[key];
    if (v !== undefined && v !== '') relevant[key] = v;
  }
  const parsed = ConfigSchema.safeParse(relevant);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue.path[0]);
    const shown = SECRET_CONFIG_KEYS.has(key) ? '<redacted>' : JSON.stringify(relevant[key]);
    throw new ConfigError(`invalid configuration: ${key}=${shown}: ${issue.message}`);
  }
  return parsed.data;
}
