/**
 * Ingest service: the RTMP server receiving pushes (publishers → media.<s>.in), with the bus
 * endpoints the control API uses (ingest.rtmp.list, ingest.rtmp.kick), and the camera
 * supervisor pulling every enabled camera of the registry over RTSP (→ media.<s>.in).
 */
import { CAMERA_READ_TURN, parsePortRange, RunningService, ServiceContext, StatusMetrics } from '@streamgate/platform';
import { BusTransport, listenBusMicroservice } from '@streamgate/platform/nest';
import { IngestControl, IngestControlController } from './control/ingest-control.controller';
import { BusPublishGate } from './rtmp/bus-publish-gate';
import type { PublisherRegistry } from './rtmp/publisher-registry';
import { StorePublisherRegistry } from './rtmp/store-publisher-registry';
import { RtmpServer } from './rtmp/rtmp-server';
import { CameraSupervisor, CameraSupervisorOptions } from './rtsp/camera-supervisor';
import { UdpPortPairAllocator } from './rtsp/udp-port-pair';

export type { PublisherRegistry } from './rtmp/publisher-registry';

/** Bytes of envelope header the bus payload must leave room for. */
const ENVELOPE_OVERHEAD = 64;

export interface IngestOptions {
  /** Who publishes what; default: leases in the shared store. */
  registry?: PublisherRegistry;
  handshakeTimeoutMs?: number;
  idleTimeoutMs?: number;
  /** Camera pulling: false turns it off; fields override the defaults (tests shorten timers). */
  cameras?: false | Partial<Pick<CameraSupervisorOptions, 'tickMs' | 'instanceId' | 'puller'>>;
}

export async function startIngest(ctx: ServiceContext, options: IngestOptions = {}): Promise<RunningService & { rtmpPort: number; rtmpsPort: number | undefined }> {
  const { bus, store, config, logger } = ctx;
  CAMERA_READ_TURN.coalesceMs = config.READ_COALESCE_MS;
  const statusMetrics = new StatusMetrics(ctx.metrics);
  // Leases in the shared store: one publisher per key across every ingest instance. A lease
  // that could not be renewed may already be someone else's: our publisher must go.
  const registry = options.registry ?? new StorePublisherRegistry(store, {
    logger,
    onLost: (stream) => gate.kick(stream, 'publisher lease lost'),
  });
  const gate = new BusPublishGate({
    bus,
    store,
    logger,
    statusMetrics,
    registry,
    requireKnownKeys: config.RTMP_REQUIRE_KNOWN_KEYS,
    access: ctx.access,
    sourceNamesShared: config.SOURCE_NAMES_SHARED,
  });
  const server = new RtmpServer({
    host: config.HOST,
    port: config.RTMP_PORT,
    gate,
    logger,
    maxConnections: config.RTMP_MAX_CONNECTIONS,
    maxConnectionsPerAddress: config.RTMP_MAX_CONNECTIONS_PER_ADDRESS,
    preauthMaxMessageSize: config.RTMP_PREAUTH_MAX_MESSAGE_BYTES,
    tls: ctx.tls ? { credentials: ctx.tls, host: config.HOST, port: config.RTMPS_PORT } : undefined,
    // A tag larger than the bus accepts could never be forwarded, so refuse it at the chunk layer.
    maxMessageSize: Math.min(config.RTMP_MAX_MESSAGE_BYTES, bus.maxPayload - ENVELOPE_OVERHEAD),
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? config.RTMP_PUBLISH_TIMEOUT_MS,
    idleTimeoutMs: options.idleTimeoutMs,
  });
  const { port: rtmpPort, tlsPort: rtmpsPort } = await server.listen();

  // The control plane (RTMP list and kick, source descriptions) is a Nest microservice on the bus.
  const control = new IngestControl(gate, logger);
  const app = await listenBusMicroservice(new BusTransport(bus, logger), {
    controllers: [IngestControlController],
    providers: [{ provide: IngestControl, useValue: control }],
  });
  logger.info({ port: rtmpPort, rtmpsPort, host: config.HOST }, 'rtmp ingest listening');

  let cameras: CameraSupervisor | undefined;
  if (options.cameras !== false) {
    cameras = new CameraSupervisor({
      bus, store, logger, statusMetrics,
      udpPorts: new UdpPortPairAllocator(parsePortRange(config.RTSP_CLIENT_UDP_PORT_RANGE)),
      defaultTransport: config.RTSP_TRANSPORT_DEFAULT,
      mediaTimeoutMs: config.RTSP_TIMEOUT * 1000,
      requestTimeoutMs: config.RTSP_CLIENT_REQUEST_TIMEOUT_MS,
      secrets: ctx.secrets,
      cameraGuard: ctx.cameraGuard,
      ...options.cameras,
    });
    control.cameras = cameras;
    try {
      await cameras.start();
    } catch (err) {
      await server.close();
      await app.close();
      throw err;
    }
    logger.info({ instance: cameras.instanceId }, 'camera supervisor started');
  }

  return {
    name: 'ingest',
    rtmpPort,
    rtmpsPort,
    async stop(): Promise<void> {
      await app.close();
      // TEARDOWN every camera and release the leases before the bus and store go away.
      await cameras?.stop();
      await server.close();
      await Promise.all(gate.publications().map((p) => p.end('ingest stopping')));
      if (registry instanceof StorePublisherRegistry) await registry.releaseAll();
    },
  };
}
