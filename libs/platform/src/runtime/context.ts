import { REGISTRY_PREFIX, RTMP_KEYS_PREFIX } from '@streamgate/contracts';
import type { Bus } from '../bus/bus';
import { InProcessBus } from '../bus/in-process-bus';
import { NatsBus } from '../bus/nats-bus';
import { isTracingStarted, startTracing } from '../observability/tracing';
import { TracingBus } from '../observability/tracing-bus';
import { RedisStateStore } from '../store/redis-store';
import { ConfigError, GatewayConfig, loadConfig } from '../config/config';
import { createLogger } from '../logging/logger';
import { FileBackedStateStore } from '../store/file-store';
import { join } from 'node:path';
import type { StateStore } from '../store/state-store';
import { MetricsCatalog, createMetricsCatalog } from '../metrics/catalog';
import { OpsServer, startOpsServer } from '../observability/ops-server';
import { unwrapBus } from '../observability/tracing-bus';
import type { RunningService, ServiceContext, ServiceFactory } from './service';

/** Store key prefixes that survive a restart in the embedded mode. */
export const PERSISTED_PREFIXES = [REGISTRY_PREFIX, RTMP_KEYS_PREFIX];

export interface ContextOverrides {
  config?: Partial<GatewayConfig>;
  bus?: Bus;
  store?: StateStore;
  metrics?: MetricsCatalog;
}

/**
 * Builds the context a service runs with. The driver is chosen by configuration alone:
 * NATS_URL / REDIS_URL select the distributed drivers, otherwise the in-process ones.
 */
export async function createServiceContext(service: string, overrides: ContextOverrides = {}): Promise<ServiceContext> {
  const config = { ...loadConfig(), ...overrides.config };
  const logger = createLogger({ service, level: config.LOG_LEVEL ?? (config.DEBUG ? 'debug' : 'info') });
  const onHandlerError = (err: unknown, subject: string): void => logger.error({ err, subject }, 'bus handler threw');
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
  // OTEL_EXPORTER_OTLP_ENDPOINT turns tracing on; requests then carry trace context.
  if (startTracing({ service }) || isTracingStarted()) bus = new TracingBus(bus);
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
  return { bus, store, config, logger, metrics: overrides.metrics ?? createMetricsCatalog(service) };
}

/** Stops services in reverse start order, then closes the bus and store. */
export async function stopAll(ctx: ServiceContext, services: RunningService[]): Promise<void> {
  for (const svc of [...services].reverse()) {
    try {
      await svc.stop();
    } catch (err) {
      ctx.logger.error({ err, service: svc.name }, 'error while stopping');
    }
  }
  await ctx.bus.close();
  await ctx.store.close();
}

/** Entry point of a service run alone: start, then stop cleanly on SIGTERM/SIGINT. */
export function runServiceMain(service: string, factory: ServiceFactory): void {
  createServiceContext(service)
    .then(async (ctx) => {
      const running = await factory(ctx);
      const ops = await startServiceOps(ctx);
      ctx.logger.info({ metricsPort: ops.port }, `${service} started`);
      const shutdown = (signal: string): void => {
        ctx.logger.info({ signal }, `${service} stopping`);
        stopAll(ctx, [running])
          .then(() => ops.close())
          .then(() => process.exit(0), () => process.exit(1));
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
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
  const server = await startOpsServer({ host: ctx.config.HOST, port: ctx.config.METRICS_PORT, registry: ctx.metrics.registry, ready: check });
  return { port: server.port, close: async () => { clearInterval(timer); await server.close(); } };
}

/** Settings that name a listening port, for start-up errors a person can act on. */
const PORT_SETTINGS = ['PORT', 'RTSP_PORT', 'RTSP_UDP_RTP_PORT', 'RTMP_PORT', 'METRICS_PORT'] as const;

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
