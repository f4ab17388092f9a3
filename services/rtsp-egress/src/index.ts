import type { RunningService, ServiceContext } from '@streamgate/platform';
import { EgressMetrics } from './fanout/egress-metrics';
import { FanoutRegistry } from './fanout/fanout-registry';
import { RtspServer } from './server/rtsp-server';
import { UdpPair } from './transport/udp-pair';

export interface RtspEgress extends RunningService {
  /** Bound ports (differ from the config when it asked for 0). */
  readonly rtspPort: number;
  /** RTSPS port when TLS is configured. */
  readonly rtspsPort: number | undefined;
  readonly udpRtpPort: number;
}

/** Options tests may tighten; production uses the defaults. */
export interface RtspEgressTuning {
  tickMs?: number;
  maxConnections?: number;
}

/**
 * RTSP server on RTSP_PORT serving `rtsp://host:port/<stream>` from `media.<s>.out`
 * (see docs/architecture.md, "Media path", step 3).
 */
export async function startRtspEgress(ctx: ServiceContext, tuning: RtspEgressTuning = {}): Promise<RtspEgress> {
  const { config, logger, bus, store } = ctx;
  const udp = await UdpPair.bind(config.HOST, config.RTSP_UDP_RTP_PORT, logger, {
    countDatagrams: (outcome, n) => ctx.metrics.udpDatagrams.inc({ outcome }, n),
  });
  const metrics = new EgressMetrics(ctx.metrics);
  const registry = new FanoutRegistry(bus, store, logger, {
    onAccessUnitSent: (stream, receivedAt, nowMs) => metrics.accessUnitSent(stream, receivedAt, nowMs),
    gopRequestTimeoutMs: 1000,
    // The GOP replayed to a new TCP reader must fit its queue with room for live units.
    gopLimits: { maxUnits: 1024, maxBytes: Math.min(8 << 20, Math.floor(config.READER_QUEUE_BYTES / 2)) },
    maxPendingAccessUnits: 1024,
    tcpMerge: { windowMs: config.RTSP_TCP_MERGE_MS, minReaders: config.RTSP_TCP_MERGE_READERS },
  }, metrics);
  const server = new RtspServer(bus, logger, registry, udp, {
    host: config.HOST,
    port: config.RTSP_PORT,
    sessionTimeoutS: config.RTSP_SESSION_TIMEOUT,
    maxSessions: config.RTSP_MAX_SESSIONS,
    // No RTSP_MAX_CONNECTIONS in the config yet: allow every session its own connection, plus slack.
    maxConnections: tuning.maxConnections ?? config.RTSP_MAX_SESSIONS + 64,
    maxConnectionsPerAddress: config.RTSP_MAX_CONNECTIONS_PER_ADDRESS,
    requestTimeoutMs: config.RTSP_REQUEST_TIMEOUT_MS,
    tls: ctx.tls ? { credentials: ctx.tls, port: config.RTSPS_PORT } : undefined,
    maxRequestBytes: config.RTSP_MAX_REQUEST_BYTES,
    readerQueueBytes: config.READER_QUEUE_BYTES,
    describeTimeoutMs: 3000,
    tickMs: tuning.tickMs ?? Math.min(1000, config.RTSP_SESSION_TIMEOUT * 250),
    access: ctx.access,
    authMethods: config.RTSP_AUTH_METHODS,
    sourceTimeoutMs: config.SOURCE_TIMEOUT * 1000,
  });
  try {
    await server.start();
  } catch (err) {
    await udp.close();
    throw err;
  }
  logger.info({ rtsp: server.port, rtsps: server.tlsPort, rtp: udp.rtpPort, rtcp: udp.rtcpPort }, 'RTSP egress listening');
  return {
    name: 'rtsp-egress',
    rtspPort: server.port,
    rtspsPort: server.tlsPort,
    udpRtpPort: udp.rtpPort,
    drain: (timeoutMs) => server.drain(timeoutMs),
    stop: async () => {
      await server.stop();
      await udp.close();
    },
  };
}
