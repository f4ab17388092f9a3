import type { RunningService, ServiceContext } from '@streamgate/platform';
import { HlsServer } from './hls-server';
import { MuxerRegistry } from './muxer-registry';

export interface HlsEgress extends RunningService {
  /** Bound port (differs from HLS_PORT when it asked for 0). */
  readonly hlsPort: number;
}

/**
 * HLS / LL-HLS on HLS_PORT serving `http://host:port/<stream>/index.m3u8` from `media.<s>.out`
 * (see docs/architecture.md, "HLS egress").
 */
export async function startHlsEgress(ctx: ServiceContext): Promise<HlsEgress> {
  const { config, logger, bus, metrics } = ctx;
  if (config.HLS_PART_DURATION > config.HLS_SEGMENT_DURATION) {
    throw new Error(`HLS_PART_DURATION (${config.HLS_PART_DURATION} s) must not exceed HLS_SEGMENT_DURATION (${config.HLS_SEGMENT_DURATION} s)`);
  }
  const registry = new MuxerRegistry(bus, logger, metrics, {
    segmentDurationS: config.HLS_SEGMENT_DURATION,
    partDurationS: config.HLS_PART_DURATION,
    segmentCount: config.HLS_SEGMENT_COUNT,
    lowLatency: config.HLS_LOW_LATENCY,
    describeTimeoutMs: 3000,
    gopTimeoutMs: 1000,
    maxPendingAccessUnits: 1024,
    maxWaiters: 10_000,
    maxMuxers: config.HLS_MAX_MUXERS,
    idleTimeoutMs: config.HLS_IDLE_TIMEOUT * 1000,
    readerWindowMs: Math.max(5000, 3000 * config.HLS_SEGMENT_DURATION),
  });
  const server = new HlsServer(registry, logger, metrics, {
    host: config.HOST,
    port: config.HLS_PORT,
    lowLatency: config.HLS_LOW_LATENCY,
    corsOrigins: config.HLS_CORS_ORIGINS,
    startTimeoutMs: 10_000,
    maxConnections: 10_000,
    tls: ctx.tls,
  }, ctx.access);
  try {
    await server.start();
  } catch (err) {
    registry.closeAll();
    throw err;
  }
  const tick = setInterval(() => registry.tick(Date.now()), 1000);
  tick.unref();
  logger.info({ hls: server.port }, 'HLS egress listening');
  return {
    name: 'hls-egress',
    hlsPort: server.port,
    stop: async () => {
      clearInterval(tick);
      registry.closeAll();
      await server.stop();
    },
  };
}
