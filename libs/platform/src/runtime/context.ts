import { REGISTRY_PREFIX, RTMP_KEYS_PREFIX } from '@streamgate/contracts';
import type { Bus } from '../bus/bus';
import { InProcessBus } from '../bus/in-process-bus';
import { NatsBus } from '../bus/nats-bus';
import { isTracingStarted, startTracing } from '../observability/tracing';
import { TracingBus } from '../observability/tracing-bus';
import { RedisStateStore } from '../store/redis-store';
import { ConfigError, GatewayConfig, loadConfig } from '../config/config';
import { LoggerOptions, createLogger } from '../logging/logger';
import { ConfigFileReloader } from '../config/config-file-reloader';
import { FileBackedStateStore } from '../store/file-store';
import { dirname, join } from 'node:path';
import { MemoryStateStore } from '../store/memory-store';
import { existsSync, readFileSync } from 'node:fs';
import type { StateStore } from '../store/state-store';
import { MetricsCatalog, createMetricsCatalog } from '../metrics/catalog';
import { OpsServer, startOpsServer } from '../observability/ops-server';
import { unwrapBus } from '../observability/tracing-bus';
import { MeteredBus } from '../observability/metered-bus';
import type { RunningService, ServiceContext, ServiceFactory } from './service';
import type { Logger } from '../logging/logger';
import { CameraUrlGuard, HostResolver } from '../security/camera-url-guard';
import { createSecretBox } from '../security/secret-box';
import { TlsCredentials } from '../security/tls-credentials';

/** Key generated into DATA_DIR when SECRETS_KEY is unset and the registry is the local file. */
export const SECRETS_KEY_FILE = 'secrets.key';
import { AccessControl } from '../access/access-control';
import { ConsoleSessions } from '../access/console-sessions';
import { httpCredentials, peerAddress } from '../access/http-credentials';

/** Store key prefixes that survive a restart in the embedded mode. */
export const PERSISTED_PREFIXES = [REGISTRY_PREFIX, RTMP_KEYS_PREFIX];

export interface ContextOverrides {
  /** Where log lines go (tests read them); default stdout. */
  logDestination?: LoggerOptions['destination'];
  config?: Partial<GatewayConfig>;
  bus?: Bus;
  store?: StateStore;
  metrics?: MetricsCatalog;
  /** Host name resolution for the camera URL guard (tests: a name resolving where they need). */
  resolveHost?: HostResolver;
  access?: AccessControl;
}

/**
 * Builds the context a service runs with. The driver is chosen by configuration alone:
 * NATS_URL / REDIS_URL select the distributed drivers, otherwise the in-process ones.
 */
export async function createServiceContext(service: string, overrides: ContextOverrides = {}): Promise<ServiceContext> {
  const config = { ...loadConfig(), ...overrides.config };
  const logger = createLogger({ service, level: config.LOG_LEVEL ?? (config.DEBUG ? 'debug' : 'info'), destination: overrides.logDestination });
  const metrics = overrides.metrics ?? createMetricsCatalog(service);
  // Read before connecting anything: a missing or unparsable file stops the start here.
  const configFile = new ConfigFileReloader({ path: config.STREAMS_CONFIG ?? 'config.json', required: config.STREAMS_CONFIG !== undefined, logger });
  const onHandlerError = (err: unknown, subject: string): void => {
    metrics.errors.inc({ kind: 'bus' });
    logger.error({ err, subject }, 'bus handler threw');
  };
  let bus = overrides.bus;
  if (!bus && config.NATS_URL) {
    try {
      bus = await NatsBus.connect({
        servers: config.NATS_URL, name: service, onHandlerError,
        onStatus: (status) => logger.warn({ status }, 'NATS connection state'),
      });
    } catch (err) {
      throw new ConfigError(`NATS_URL: cannot connect (${(err as Error).message})`);
    }
  }
  bus ??= new InProcessBus({ onHandlerError });
  // Publishes are counted by kind (a bus given by the caller is left as it is).
  if (!overrides.bus) bus = new MeteredBus(bus, metrics);
  // OTEL_EXPORTER_OTLP_ENDPOINT turns tracing on; requests then carry trace context.
  if ((await startTracing({ service })) || isTracingStarted()) bus = new TracingBus(bus);
  let store = overrides.store;
  if (!store && config.REDIS_URL) {
    const redis = new RedisStateStore({
      url: config.REDIS_URL,
      onStatus: (status, detail) => (status === 'ready' ? logger.info('Redis ready') : logger.warn({ status, detail }, 'Redis connection state')),
    });
    try {
      await redis.ready(10_000);
    } catch (err) {
      await redis.close();
      await bus.close();
      throw new ConfigError(`REDIS_URL: ${(err as Error).message}`);
    }
    store = redis;
  }
  // Embedded: only the registry (streams, RTMP keys) persists; live status and leases stay in memory.
  store ??= new FileBackedStateStore(join(config.DATA_DIR, 'state.json'), PERSISTED_PREFIXES);
  const security = securityContext(config, logger, secretsKeyHome(store), overrides.resolveHost);
  let access = overrides.access;
  if (!access) {
    try {
      const sessions = new ConsoleSessions(store, { ttlMs: config.CONSOLE_SESSION_TTL * 1000, maxPerUser: config.CONSOLE_MAX_SESSIONS_PER_USER });
      access = new AccessControl(config, logger, metrics, { configFile, sessions });
      // The users list follows config.json through the one reloader (AUTH_USERS' file is polled).
      await configFile.subscribe(access.usersSubscriber);
    } catch (err) {
      await bus.close();
      await store.close();
      throw err;
    }
    access.watch();
  }
  return { bus, store, config, logger, metrics, configFile, ...security, access };
}

/**
 * Where a key for secrets at rest may come from when SECRETS_KEY is unset: generated beside the
 * state file it protects; random per process for a store that persists nothing; none for a
 * shared store (Redis), since every pod must hold the same key.
 */
export type SecretsKeyHome = { file: string } | 'ephemeral' | 'none';

export function secretsKeyHome(store: StateStore): SecretsKeyHome {
  if (store instanceof FileBackedStateStore) return { file: join(dirname(store.path), SECRETS_KEY_FILE) };
  return store instanceof MemoryStateStore ? 'ephemeral' : 'none';
}

/** Secrets key, camera URL guard and TLS certificate from the configuration. */
export function securityContext(
  config: GatewayConfig, logger: Logger, keyHome: SecretsKeyHome = 'ephemeral', resolveHost?: HostResolver,
): Pick<ServiceContext, 'secrets' | 'cameraGuard' | 'tls'> {
  let secrets;
  try {
    secrets = createSecretBox(config, keyHome, (path) => {
      logger.warn({ path }, 'SECRETS_KEY is not set: generated a key for camera credentials at rest into DATA_DIR (mode 0600); keep it with state.json, or set SECRETS_KEY');
    });
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const cameraGuard = new CameraUrlGuard({ allowedNetworks: config.CAMERA_ALLOWED_NETWORKS, resolve: resolveHost });
  let tls: TlsCredentials | undefined;
  if (config.TLS_CERT_FILE && config.TLS_KEY_FILE) {
    try {
      tls = new TlsCredentials({
        certFile: config.TLS_CERT_FILE, keyFile: config.TLS_KEY_FILE, reloadIntervalMs: config.TLS_RELOAD_INTERVAL_MS,
        onReload: (info) => logger.info(info, 'TLS certificate reloaded'),
        onReloadError: (err) => logger.error({ reason: err.message }, 'TLS certificate files changed but cannot be used: still serving the previous certificate'),
      });
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
    logger.info({ fingerprint: tls.fingerprint }, 'TLS on: RTSPS, RTMPS and HTTPS listeners use TLS_CERT_FILE');
  }
  return { secrets, cameraGuard, tls };
}

/**
 * SIGTERM: every service that can drain does so at once (RTSP readers get their BYE, new
 * connections are refused), bounded by `timeoutMs`; `stopAll` comes after. A failed drain is
 * logged, not fatal: stopping closes what is left.
 */
export async function drainAll(ctx: ServiceContext, services: RunningService[], timeoutMs: number): Promise<void> {
  await Promise.all(services.map(async (svc) => {
    try {
      await svc.drain?.(timeoutMs);
    } catch (err) {
      ctx.logger.warn({ err, service: svc.name }, 'drain failed');
    }
  }));
}

/** Stops services in reverse start order, then closes the bus and store. */
export async function stopAll(ctx: ServiceContext, services: RunningService[]): Promise<void> {
  ctx.configFile?.stop();
  for (const svc of [...services].reverse()) {
    try {
      await svc.stop();
    } catch (err) {
      ctx.logger.error({ err, service: svc.name }, 'error while stopping');
    }
  }
  ctx.access.close();
  await ctx.bus.close();
  await ctx.store.close();
  ctx.tls?.close();
}

/** The gateway's version: the `version` of the nearest package.json named streamgate above this file. */
export function gatewayVersion(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'streamgate' && pkg.version) return pkg.version;
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}

/**
 * `<main> --version` prints `streamgate <service> <version>` and exits: what an image runs to
 * show it starts at all, without a bus, a store or a port.
 */
export function exitOnVersionFlag(service: string, argv: readonly string[] = process.argv): void {
  if (!argv.slice(2).includes('--version')) return;
  process.stdout.write(`streamgate ${service} ${gatewayVersion()} (Node.js ${process.version})\n`);
  process.exit(0);
}

/**
 * The process's end: SIGTERM (a container stop, systemd) drains first (RTSP readers are told and
 * leave), bounded by SHUTDOWN_DRAIN_MS; SIGINT (Ctrl-C at a terminal) stops at once. Then it exits.
 */
export function exitOnSignals(ctx: ServiceContext, name: string, run: { drain(timeoutMs: number): Promise<void>; stop(): Promise<void> }): void {
  const shutdown = (signal: string): void => {
    ctx.logger.info({ signal }, `${name} stopping`);
    const drained = signal === 'SIGTERM' ? run.drain(ctx.config.SHUTDOWN_DRAIN_MS) : Promise.resolve();
    drained.then(() => run.stop()).then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

/** Entry point of a service run alone: start, then stop cleanly on SIGTERM/SIGINT. */
export function runServiceMain(service: string, factory: ServiceFactory): void {
  exitOnVersionFlag(service);
  createServiceContext(service)
    .then(async (ctx) => {
      const running = await factory(ctx);
      const ops = await startServiceOps(ctx);
      // config.json changes and SIGHUP reload what subscribed to it.
      ctx.configFile?.start();
      ctx.logger.info({ metricsPort: ops.port }, `${service} started`);
      exitOnSignals(ctx, service, {
        drain: (timeoutMs) => drainAll(ctx, [running], timeoutMs),
        stop: () => stopAll(ctx, [running]).then(() => ops.close()),
      });
    })
    .catch((err: unknown) => {
      process.stderr.write(`${service}: ${explainStartupError(err, safeConfig())}\n`);
      process.exit(1);
    });
}

/**
 * /metrics, /healthz and /readyz on METRICS_PORT. Ready means the bus and store answer; the
 * gauges for NATS and Redis are refreshed on every scrape and readiness check.
 */
export async function startServiceOps(ctx: ServiceContext): Promise<OpsServer> {
  const check = async (): Promise<{ ready: boolean; detail: Record<string, unknown> }> => {
    const bus = unwrapBus(ctx.bus);
    const busUp = bus instanceof NatsBus ? bus.isConnected : true;
    const storeUp = ctx.store instanceof RedisStateStore ? await ctx.store.ping() : true;
    ctx.metrics.busConnected.set(busUp ? 1 : 0);
    ctx.metrics.storeConnected.set(storeUp ? 1 : 0);
    return { ready: busUp && storeUp, detail: { bus: busUp ? 'up' : 'down', store: storeUp ? 'up' : 'down' } };
  };
  await check();
  const timer = setInterval(() => {
    check().catch((err: unknown) => ctx.logger.warn({ err }, 'readiness check failed'));
  }, 5000);
  timer.unref();
  const server = await startOpsServer({
    host: ctx.config.HOST, port: ctx.config.METRICS_PORT, registry: ctx.metrics.registry, ready: check,
    authorize: async (req) => {
      if (!ctx.access.restricted) return { allowed: true };
      if (ctx.config.OPS_HEALTHZ_PUBLIC && (req.url ?? '').split('?')[0] === '/healthz') return { allowed: true };
      const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
      const decision = await ctx.access.authorize({
        action: 'metrics', path: '', protocol: 'http', ip: peerAddress(req.socket.remoteAddress), ...httpCredentials(req.headers, query),
      });
      return decision.allowed ? { allowed: true } : { allowed: false, status: decision.status };
    },
  });
  return { port: server.port, close: async () => { clearInterval(timer); await server.close(); } };
}

/** Settings that name a listening port, for start-up errors a person can act on. */
const PORT_SETTINGS = ['PORT', 'RTSP_PORT', 'RTSP_UDP_RTP_PORT', 'RTMP_PORT', 'METRICS_PORT', 'RTSPS_PORT', 'RTMPS_PORT'] as const;

/**
 * The message printed when start-up fails: a port already in use names the setting that
 * chose it (`listen EADDRINUSE 0.0.0.0:9464` alone does not say what to change).
 */
export function explainStartupError(err: unknown, config: Partial<GatewayConfig> = {}): string {
  const e = err as { code?: string; port?: number; message?: string };
  if (e?.code === 'EADDRINUSE' || e?.code === 'EACCES') {
    const port = e.port ?? Number(/:(\d+)$/.exec(e.message ?? '')?.[1]);
    const setting = PORT_SETTINGS.find((k) => config[k] === port || (k === 'RTSP_UDP_RTP_PORT' && config[k] !== undefined && config[k] + 1 === port));
    const what = e.code === 'EADDRINUSE' ? 'is already in use' : 'needs privileges to bind';
    return `port ${port} ${what}${setting ? `: set ${setting} to another port` : ''}`;
  }
  return err instanceof Error ? err.message : String(err);
}

function safeConfig(): Partial<GatewayConfig> {
  try {
    return loadConfig();
  } catch {
    return {};
  }
}
