import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every metric streamgate exposes, in one place: names follow Prometheus conventions
 * (`streamgate_*`, `_total` counters, base units `_seconds`/`_bytes`), labels come only from
 * bounded sets (service, stream, track, transport, codec, state, reason, route, method,
 * status) — never an address, session id or URL. A stream's series are removed with
 * `forgetStream` when it is deleted.
 */
/** Ingest-to-egress latency buckets: fine around the 2 ms (in-process) and 10 ms (NATS) targets. */
export const LATENCY_BUCKETS_SECONDS = [0.00025, 0.0005, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1] as const;

/** `kind` of streamgate_errors_total: each has a place that counts it. */
export const ERROR_KINDS = ['bus', 'store'] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

export type MetricsCatalog = ReturnType<typeof createMetricsCatalog>;

export function createMetricsCatalog(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  // prom-client's default names already start with process_/nodejs_: the prefix is only ours
  // (streamgate_process_cpu_seconds_total, not streamgate_process_process_cpu_seconds_total).
  collectDefaultMetrics({ register: registry, prefix: 'streamgate_' });
  const r = [registry];
  /** Run before the bus counters are read: publishers counting in plain numbers add theirs then. */
  const busCountFlushers = new Set<() => void>();
  const flushBusCounts = (): void => {
    for (const flush of busCountFlushers) flush();
  };
  const catalog = {
    registry,
    streams: new Gauge({ name: 'streamgate_streams', help: 'Streams by state (up, down, disabled)', labelNames: ['state'], registers: r }),
    streamUp: new Gauge({ name: 'streamgate_stream_up', help: '1 when the stream source is connected and delivering media', labelNames: ['stream', 'source'], registers: r }),
    packetsReceived: new Counter({ name: 'streamgate_stream_packets_received_total', help: 'RTP packets or FLV tags received from the source', labelNames: ['stream', 'track'], registers: r }),
    bytesReceived: new Counter({ name: 'streamgate_stream_received_bytes_total', help: 'Media bytes received from the source', labelNames: ['stream', 'track'], registers: r }),
    framesReceived: new Counter({ name: 'streamgate_stream_frames_received_total', help: 'Access units assembled', labelNames: ['stream', 'track', 'codec'], registers: r }),
    packetsLost: new Counter({ name: 'streamgate_stream_packets_lost_total', help: 'RTP packets lost (sequence gaps)', labelNames: ['stream', 'track'], registers: r }),
    jitter: new Gauge({ name: 'streamgate_stream_jitter_seconds', help: 'Interarrival jitter (RFC 3550 A.8)', labelNames: ['stream', 'track'], registers: r }),
    fps: new Gauge({ name: 'streamgate_stream_fps', help: 'Video frames per second over the last seconds', labelNames: ['stream'], registers: r }),
    bitrate: new Gauge({ name: 'streamgate_stream_bitrate_bits_per_second', help: 'Received bitrate over the last seconds', labelNames: ['stream'], registers: r }),
    reconnects: new Counter({ name: 'streamgate_stream_reconnects_total', help: 'Source reconnections', labelNames: ['stream'], registers: r }),
    activeSource: new Gauge({ name: 'streamgate_stream_active_source', help: 'Index of the source pulled now: 0 the primary, 1.. its backups in order', labelNames: ['stream'], registers: r }),
    sourceSwitches: new Counter({ name: 'streamgate_stream_source_switches_total', help: 'Changes of the active source (failovers to a backup and returns to the primary)', labelNames: ['stream'], registers: r }),
    readers: new Gauge({ name: 'streamgate_stream_readers', help: 'RTSP readers playing the stream', labelNames: ['stream', 'transport'], registers: r }),
    bytesSent: new Counter({ name: 'streamgate_stream_sent_bytes_total', help: 'Bytes sent to readers', labelNames: ['stream', 'transport'], registers: r }),
    readersDropped: new Counter({ name: 'streamgate_stream_readers_dropped_total', help: 'Readers dropped for being too slow', labelNames: ['stream'], registers: r }),
    udpDatagrams: new Counter({
      name: 'streamgate_egress_udp_datagrams_total',
      help: 'RTP datagrams of the batched UDP sender by outcome: sent, queued (socket buffer full, handed to node:dgram), failed (destination refused)',
      labelNames: ['outcome'], registers: r,
    }),
    latency: new Histogram({
      name: 'streamgate_stream_latency_seconds', help: 'Time from ingest receive to egress send, per access unit',
      labelNames: ['stream'], buckets: [...LATENCY_BUCKETS_SECONDS], registers: r,
    }),
    hlsReaders: new Gauge({ name: 'streamgate_hls_readers', help: 'HLS clients (connections) that fetched the stream in the last seconds', labelNames: ['stream'], registers: r }),
    hlsMuxers: new Gauge({ name: 'streamgate_hls_muxers', help: 'Streams being muxed to HLS now', registers: r }),
    hlsSegments: new Counter({ name: 'streamgate_hls_segments_total', help: 'HLS segments produced', labelNames: ['stream'], registers: r }),
    hlsParts: new Counter({ name: 'streamgate_hls_parts_total', help: 'LL-HLS partial segments produced', labelNames: ['stream'], registers: r }),
    hlsBufferedBytes: new Gauge({ name: 'streamgate_hls_buffered_bytes', help: 'Bytes of segments and parts held in memory', labelNames: ['stream'], registers: r }),
    hlsMuxingLatency: new Histogram({
      name: 'streamgate_hls_muxing_latency_seconds', help: 'Time from ingest receive of a part\'s last sample to the part being servable',
      labelNames: ['stream'], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5], registers: r,
    }),
    hlsRequests: new Counter({ name: 'streamgate_hls_requests_total', help: 'HLS HTTP requests by kind and status', labelNames: ['kind', 'status'], registers: r }),
    busMessages: new Counter({ name: 'streamgate_bus_messages_total', help: 'Bus messages published', labelNames: ['kind'], registers: r, collect: flushBusCounts }),
    busBytes: new Counter({ name: 'streamgate_bus_sent_bytes_total', help: 'Bus payload bytes published', labelNames: ['kind'], registers: r, collect: flushBusCounts }),
    busConnected: new Gauge({ name: 'streamgate_bus_connected', help: '1 when the bus (NATS) is connected', registers: r }),
    storeConnected: new Gauge({ name: 'streamgate_store_connected', help: '1 when the state store (Redis) is reachable', registers: r }),
    leaseHandovers: new Counter({ name: 'streamgate_lease_handovers_total', help: 'Ownership leases given up or lost', labelNames: ['group', 'reason'], registers: r }),
    ownedStreams: new Gauge({ name: 'streamgate_owned_streams', help: 'Streams this instance owns', labelNames: ['group'], registers: r }),
    instances: new Gauge({ name: 'streamgate_instances', help: 'Live instances seen in the group', labelNames: ['group'], registers: r }),
    apiRequests: new Histogram({
      name: 'streamgate_api_request_duration_seconds', help: 'Control API request duration',
      labelNames: ['method', 'route', 'status'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: r,
    }),
    authFailures: new Counter({
      name: 'streamgate_auth_failures_total',
      help: 'Requests refused by access control, by protocol, action and reason (missing-credentials, wrong-credentials, no-permission, ...)',
      labelNames: ['protocol', 'action', 'reason'], registers: r,
    }),
    errors: new Counter({ name: 'streamgate_errors_total', help: 'Errors by kind: bus (a subscriber threw), store (a status write failed)', labelNames: ['kind'], registers: r }),
  };
  // Fixed label sets are exposed from the start: a 0 says "none yet", a missing series says nothing.
  for (const kind of ERROR_KINDS) catalog.errors.inc({ kind }, 0);
  for (const outcome of ['sent', 'queued', 'failed']) catalog.udpDatagrams.inc({ outcome }, 0);
  return {
    ...catalog,
    busCountFlushers,
    /** Removes every series of a deleted stream, so label sets stay bounded. */
    async forgetStream(stream: string): Promise<void> {
      for (const m of Object.values(catalog)) {
        if (!(m instanceof Counter || m instanceof Gauge || m instanceof Histogram)) continue;
        const metric = m as Counter<string> | Gauge<string> | Histogram<string>;
        const { values } = await metric.get();
        const seen = new Set<string>();
        for (const v of values) {
          if (v.labels.stream !== stream) continue;
          // Histogram samples carry `le`; the series is keyed without it.
          const labels = Object.fromEntries(Object.entries(v.labels).filter(([k]) => k !== 'le')) as Record<string, string>;
          const id = JSON.stringify(labels);
          if (seen.has(id)) continue;
          seen.add(id);
          metric.remove(labels);
        }
      }
    },
  };
}

/**
 * Wall-clock milliseconds with sub-millisecond resolution, for latency stamps that cross
 * processes (`receivedAt` in the media envelope is a float64). Date.now() would round every
 * ingest-to-egress latency to whole milliseconds.
 */
export function preciseNowMs(): number {
  return performance.timeOrigin + performance.now();
}
