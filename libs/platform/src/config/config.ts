import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_CAMERA_ALLOWED_NETWORKS, parseCidrList } from '../security/camera-url-guard';

/** A 256-bit key as 64 hex digits or base64 (what parseSecretKey reads). */
const SECRET_KEY_PATTERN = /^(?:[0-9a-fA-F]{64}|[A-Za-z0-9+/_-]{43}=?)$/;

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
  /**
   * Seconds readers stay connected while their stream's source is down (a camera that drops, an
   * RTMP publisher reconnecting under the same key); they resume at its next keyframe. After
   * that they get RTCP BYE and their session ends. 0 ends them at once.
   */
  SOURCE_TIMEOUT: z.coerce.number().min(0).max(3600).default(20),
  /** RTSP session timeout announced to readers, seconds. */
  RTSP_SESSION_TIMEOUT: z.coerce.number().int().min(5).max(3600).default(60),
  /** Largest RTSP request head accepted from a reader, bytes. */
  RTSP_MAX_REQUEST_BYTES: z.coerce.number().int().min(1024).max(1 << 20).default(16 * 1024),
  RTSP_MAX_SESSIONS: z.coerce.number().int().min(1).max(100_000).default(1000),
  /**
   * SIGTERM of a service run alone (a pod being replaced): how long rtsp-egress waits, after
   * refusing new connections and sending RTCP BYE to every reader, for readers to TEARDOWN and
   * leave before it closes the rest. Keep it below the pod's termination grace period.
   */
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(300_000).default(10_000),
  /**
   * Merged writes to RTSP/TCP readers: once a stream has RTSP_TCP_MERGE_READERS TCP readers,
   * units wait up to this many ms to be written with the ones after them (fewer TCP segments:
   * at 200 readers 40 ms cost a quarter of the CPU per reader that writing at once did, 20 ms
   * half; docs/benchmarks.md, "Merge window"). 0 writes every unit at once.
   */
  RTSP_TCP_MERGE_MS: z.coerce.number().int().min(0).max(100).default(40),
  RTSP_TCP_MERGE_READERS: z.coerce.number().int().min(1).max(100_000).default(32),
  /** Bytes queued for one TCP reader before it is dropped as too slow. */
  READER_QUEUE_BYTES: z.coerce.number().int().min(64 * 1024).max(1 << 30).default(8 * 1024 * 1024),
  /** HLS / LL-HLS egress (`http://host:HLS_PORT/<name>/index.m3u8`, MediaMTX's port). */
  HLS_PORT: port.default(8888),
  /** Whether the all-in-one serves HLS (the hls-egress service alone ignores it). */
  HLS_ENABLED: bool.default(true),
  /** Low-Latency HLS: partial segments, preload hints, blocking playlist reload. */
  HLS_LOW_LATENCY: bool.default(true),
  /** Target segment duration, seconds; segments are cut on the first keyframe after it. */
  HLS_SEGMENT_DURATION: z.coerce.number().min(0.2).max(60).default(1),
  /** Target partial segment duration, seconds (LL-HLS). */
  HLS_PART_DURATION: z.coerce.number().min(0.05).max(5).default(0.2),
  /** Complete segments kept in memory and listed, per stream. */
  HLS_SEGMENT_COUNT: z.coerce.number().int().min(3).max(100).default(7),
  /** Seconds after the last HLS request before a stream's muxer stops. */
  HLS_IDLE_TIMEOUT: z.coerce.number().min(1).max(3600).default(60),
  /** Streams muxed at once by one process. */
  HLS_MAX_MUXERS: z.coerce.number().int().min(1).max(10_000).default(256),
  /** Access-Control-Allow-Origin of HLS responses: `*`, a comma-separated list, or empty for none. */
  HLS_CORS_ORIGINS: z.string().default('*'),
  /**
   * Read coalescing for camera reads, ms: a loop turn that read camera media waits until it is
   * this long before polling again, so one wake-up serves the bursts of many cameras (ReadTurn).
   * Adds at most this much to ingest latency; 0 turns it off.
   */
  READ_COALESCE_MS: z.coerce.number().min(0).max(20).default(3),
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
  /** Web console sign-in (users configured): how long a session cookie lives, seconds. */
  CONSOLE_SESSION_TTL: z.coerce.number().int().min(60).max(30 * 86_400).default(12 * 3600),
  /** Console sessions one user may hold at once; signing in past it ends the user's oldest. */
  CONSOLE_MAX_SESSIONS_PER_USER: z.coerce.number().int().min(1).max(1000).default(20),
  /** Largest JSON request body, bytes. */
  API_MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(64 << 20).default(1 << 20),
  /** JPEG snapshots: ffmpeg decode time limit and how many may run at once. */
  SNAPSHOT_TIMEOUT_MS: z.coerce.number().int().min(500).max(60_000).default(5000),
  SNAPSHOT_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(2),
  /**
   * Users and permissions (MediaMTX's authInternalUsers shape): inline JSON (`[...]` or
   * `{"users":[...]}`) or the path of a JSON file holding it (a Kubernetes Secret). Joined by
   * user name with the `users` of STREAMS_CONFIG. Unset everywhere: the gateway stays open.
   */
  AUTH_USERS: z.string().optional(),
  /** External authentication: POST {user, password, token, ip, action, path, protocol, id, query}; 2xx allows. */
  AUTH_HTTP_URL: z.string().url().optional(),
  AUTH_HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(3000),
  /** How long an allowed answer of AUTH_HTTP_URL is reused, ms (0 = ask every time). */
  AUTH_HTTP_CACHE_MS: z.coerce.number().int().min(0).max(3_600_000).default(10_000),
  /** Actions AUTH_HTTP_URL does not decide (the users list does), comma-separated. */
  AUTH_HTTP_EXCLUDE: z.string().regex(/^[a-z,\s]*$/).default('api,metrics'),
  /** JWT authentication: the JWKS with the identity server's public keys. */
  AUTH_JWT_JWKS_URL: z.string().url().optional(),
  /** Claim of the JWT listing its permissions ([{action, path}]). */
  AUTH_JWT_CLAIM: z.string().min(1).max(128).default('mediamtx_permissions'),
  /** Actions JWTs do not decide (the users list does), comma-separated. */
  AUTH_JWT_EXCLUDE: z.string().regex(/^[a-z,\s]*$/).default(''),
  /** Challenges RTSP readers get: `digest,basic` (Digest SHA-256 and MD5, then Basic), `basic` or `digest`. */
  RTSP_AUTH_METHODS: z.string().regex(/^\s*(digest|basic)\s*(,\s*(digest|basic)\s*)?$/, 'expected digest,basic | basic | digest').default('digest,basic'),
  /**
   * Whether a camera's name may also be published to over RTMP (and an RTMP key added as a
   * camera). Off: a source name belongs to its kind, so nobody can take over a camera's path.
   */
  SOURCE_NAMES_SHARED: bool.default(false),
  /**
   * /healthz answers without the metrics permission (a Kubernetes liveness probe carries no
   * credentials; the answer is only {"status":"ok"}). /metrics stays behind the permission.
   */
  OPS_HEALTHZ_PUBLIC: bool.default(false),
  NATS_URL: z.string().optional(),
  REDIS_URL: z.string().optional(),
  DATA_DIR: z.string().default('./data'),
  // --- Encryption (README "Security"): every TLS port is on when both files are set.
  /** PEM certificate (chain) and key served on RTSPS, RTMPS and HTTPS; polled and reloaded when they change. */
  TLS_CERT_FILE: z.string().min(1).optional(),
  TLS_KEY_FILE: z.string().min(1).optional(),
  TLS_RELOAD_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(5000),
  RTSPS_PORT: port.default(8322),
  RTMPS_PORT: port.default(1936),
  /** AES-256-GCM key sealing camera credentials at rest (64 hex digits or base64). */
  SECRETS_KEY: z.string().regex(SECRET_KEY_PATTERN, 'must be 32 random bytes as 64 hex digits or base64 (openssl rand -hex 32)').optional(),
  /** Comma-separated older keys still accepted for reading during a rotation. */
  SECRETS_KEY_PREVIOUS: z.string()
    .refine((v) => v.split(',').every((k) => SECRET_KEY_PATTERN.test(k.trim())), 'must be comma-separated keys of 64 hex digits or base64').optional(),
  // --- Camera URL guard (SSRF)
  /** CIDRs camera hosts must resolve into; link-local/metadata ranges are refused regardless. */
  CAMERA_ALLOWED_NETWORKS: z.string().default(DEFAULT_CAMERA_ALLOWED_NETWORKS).superRefine((v, zctx) => {
    try {
      parseCidrList(v);
    } catch (err) {
      zctx.addIssue({ code: z.ZodIssueCode.custom, message: (err as Error).message });
    }
  }),
  // --- Limits per peer address and on slow peers (README "Limits")
  RTMP_MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(1).max(100_000).default(16),
  /** Largest RTMP message before a publish is accepted (handshake, connect, publish commands). */
  RTMP_PREAUTH_MAX_MESSAGE_BYTES: z.coerce.number().int().min(4096).max(1 << 20).default(64 * 1024),
  /** From accept to an accepted publish, ms: a peer that connects and never publishes is dropped. */
  RTMP_PUBLISH_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(10_000),
  RTSP_MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(1).max(100_000).default(64),
  /** Time a reader has to finish sending a request it started, and a connection without a session to send one, ms. */
  RTSP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(10_000),
  API_MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(1).max(100_000).default(64),
  /** Time a client has to send a whole HTTP request (headers and body), ms. */
  API_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(15_000),
  /** Time a client has to send the HTTP request headers, ms. */
  API_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(10_000),
});

/** Values never echoed in errors or logs. */
const SECRET_CONFIG_KEYS = new Set(['API_KEY', 'NATS_URL', 'REDIS_URL', 'SECRETS_KEY', 'SECRETS_KEY_PREVIOUS', 'AUTH_USERS', 'AUTH_HTTP_URL', 'AUTH_JWT_JWKS_URL']);

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
  if ((parsed.data.TLS_CERT_FILE === undefined) !== (parsed.data.TLS_KEY_FILE === undefined)) {
    throw new ConfigError(`invalid configuration: ${parsed.data.TLS_CERT_FILE === undefined ? 'TLS_CERT_FILE' : 'TLS_KEY_FILE'} is missing: TLS_CERT_FILE and TLS_KEY_FILE are set together`);
  }
  return parsed.data;
}
