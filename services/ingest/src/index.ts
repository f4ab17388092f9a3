/**
 * Ingest service: the RTMP server receiving pushes (publishers → media.<s>.in), with the bus
 * endpoints the control API uses (ingest.rtmp.list, ingest.rtmp.kick), and the camera
 * supervisor pulling every enabled camera of the registry over RTSP (→ media.<s>.in).
 */
import { SourceDescription, decodeJson, encodeJson, isValidStreamName, streamFromSubject } from '@streamgate/contracts';
import { BusMessage, RunningService, ServiceContext, StatusMetrics, Subscription } from '@streamgate/platform';
import { BusPublishGate } from './rtmp/bus-publish-gate';
import type { PublisherRegistry } from './rtmp/publisher-registry';
import { StorePublisherRegistry } from './rtmp/store-publisher-registry';
import { RtmpServer } from './rtmp/rtmp-server';
import { CameraSupervisor, CameraSupervisorOptions } from './rtsp/camera-supervisor';
import { UdpPortPairAllocator, parsePortRange } from './rtsp/udp-port-pair';
import { IngestSubjects, RtmpKickReply, RtmpKickRequest, RtmpPublisherList } from '@streamgate/contracts';

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

export async function startIngest(ctx: ServiceContext, options: IngestOptions = {}): Promise<RunningService & { rtmpPort: number }> {
  const { bus, store, config, logger } = ctx;
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
  });
  const server = new RtmpServer({
    host: config.HOST,
    port: config.RTMP_PORT,
    gate,
    logger,
    maxConnections: config.RTMP_MAX_CONNECTIONS,
    // A tag larger than the bus accepts could never be forwarded, so refuse it at the chunk layer.
    maxMessageSize: Math.min(config.RTMP_MAX_MESSAGE_BYTES, bus.maxPayload - ENVELOPE_OVERHEAD),
    handshakeTimeoutMs: options.handshakeTimeoutMs,
    idleTimeoutMs: options.idleTimeoutMs,
  });
  const rtmpPort = await server.listen();

  const respond = (msg: BusMessage, data: Uint8Array): void => {
    if (!msg.respond(data)) logger.debug({ subject: msg.subject }, 'request without reply subject');
  };
  const subscriptions: Subscription[] = [
    bus.subscribe(IngestSubjects.rtmpList, (msg) => {
      respond(msg, encodeJson(RtmpPublisherList, { streams: gate.publications().map((p) => p.info()) }));
    }),
    bus.subscribe(IngestSubjects.rtmpKick, (msg) => {
      let ok = false;
      try {
        const req = decodeJson(RtmpKickRequest, msg.subject, msg.data);
        ok = gate.kick(req.stream, 'disconnected through the API');
      } catch (err) {
        logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'bad kick request');
      }
      respond(msg, encodeJson(RtmpKickReply, { ok }));
    }),
  ];
  logger.info({ port: rtmpPort, host: config.HOST }, 'rtmp ingest listening');

  let cameras: CameraSupervisor | undefined;
  // Only the instance that has the source answers; the others stay silent.
  subscriptions.push(bus.subscribe(IngestSubjects.allSources, (msg) => {
    const stream = streamFromSubject(msg.subject);
    if (stream === undefined || !isValidStreamName(stream)) return;
    const description = gate.publication(stream)?.description() ?? cameras?.description(stream);
    if (description) respond(msg, encodeJson(SourceDescription, description));
  }));
  if (options.cameras !== false) {
    cameras = new CameraSupervisor({
      bus, store, logger, statusMetrics,
      udpPorts: new UdpPortPairAllocator(parsePortRange(config.RTSP_CLIENT_UDP_PORT_RANGE)),
      defaultTransport: config.RTSP_TRANSPORT_DEFAULT,
      mediaTimeoutMs: config.RTSP_TIMEOUT * 1000,
      requestTimeoutMs: config.RTSP_CLIENT_REQUEST_TIMEOUT_MS,
      ...options.cameras,
    });
    try {
      await cameras.start();
    } catch (err) {
      await server.close();
      for (const s of subscriptions) s.unsubscribe();
      throw err;
    }
    logger.info({ instance: cameras.instanceId }, 'camera supervisor started');
  }

  return {
    name: 'ingest',
    rtmpPort,
    async stop(): Promise<void> {
      for (const s of subscriptions) s.unsubscribe();
      // TEARDOWN every camera and release the leases before the bus and store go away.
      await cameras?.stop();
      await server.close();
      await Promise.all(gate.publications().map((p) => p.end('ingest stopping')));
      if (registry instanceof StorePublisherRegistry) await registry.releaseAll();
    },
  };
}
