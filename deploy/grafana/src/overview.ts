/**
 * streamgate overview: how many streams are up, what flows through the gateway, what is
 * failing, and whether the bus (NATS) and state store (Redis) are reachable.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { datasourceVariable, latencyHeatmap, numberPanels, statPanel, timeSeries, upDownMappings } from './panels';

const STAT = { w: 4, h: 4 };
const HALF = { w: 12, h: 8 };
const THIRD = { w: 8, h: 8 };
const OK = 'green';
const BAD = 'red';

/** One stream is reported up by the ingest instance owning it; max over instances. */
const STREAM_UP = 'max by (stream) (streamgate_stream_up)';
const STREAM_BITRATE = 'max by (stream) (streamgate_stream_bitrate_bits_per_second)';

export function overviewDashboard(): dashboard.Dashboard {
  return numberPanels(new dashboard.DashboardBuilder('streamgate / Overview')
    .uid('streamgate-overview')
    .description('Streams, traffic, errors and infrastructure of the streamgate RTSP/RTMP gateway.')
    .tags(['streamgate'])
    .refresh('30s')
    .time({ from: 'now-3h', to: 'now' })
    .timezone('browser')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .readonly()
    .withVariable(datasourceVariable())
    .link(new dashboard.DashboardLinkBuilder('Stream').type(dashboard.DashboardLinkType.Dashboards).tags(['streamgate']).asDropdown(false).includeVars(false).keepTime(true))

    .withRow(new dashboard.RowBuilder('Streams'))
    .withPanel(statPanel('Streams up', 'Streams whose source is connected and delivering media.', 'none',
      { expr: `count(${STREAM_UP} == 1) or vector(0)` }, [{ value: null, color: OK }], STAT))
    .withPanel(statPanel('Streams down', 'Streams whose source is not delivering media (camera unreachable, publisher gone).', 'none',
      { expr: `count(${STREAM_UP} == 0) or vector(0)` }, [{ value: null, color: OK }, { value: 1, color: BAD }], STAT))
    .withPanel(statPanel('Ingest bitrate', 'Total bitrate received from all sources.', 'bps',
      { expr: `sum(${STREAM_BITRATE})` }, [{ value: null, color: 'blue' }], STAT))
    .withPanel(statPanel('Readers', 'RTSP readers playing, all streams and transports.', 'none',
      { expr: 'sum(streamgate_stream_readers) or vector(0)' }, [{ value: null, color: 'blue' }], STAT))
    .withPanel(statPanel('Egress bitrate', 'Bits per second sent to RTSP readers.', 'bps',
      { expr: 'sum(rate(streamgate_stream_sent_bytes_total[$__rate_interval])) * 8' }, [{ value: null, color: 'blue' }], STAT))
    .withPanel(statPanel('Latency p99', 'Ingest receive to egress send, 99th percentile over all streams.', 's',
      { expr: 'histogram_quantile(0.99, sum by (le) (rate(streamgate_stream_latency_seconds_bucket[$__rate_interval])))' },
      [{ value: null, color: OK }, { value: 0.1, color: 'orange' }, { value: 0.5, color: BAD }], STAT))
    .withPanel(timeSeries('Streams by state', 'Registered streams by state (up, down, disabled).', 'none',
      [{ expr: 'max by (state) (streamgate_streams)', legend: '{{state}}' }], THIRD))
    .withPanel(timeSeries('Bitrate by stream', 'Received bitrate per stream.', 'bps',
      [{ expr: STREAM_BITRATE, legend: '{{stream}}' }], THIRD))
    .withPanel(timeSeries('Readers by transport', 'RTSP readers by transport (TCP interleaved, UDP).', 'none',
      [{ expr: 'sum by (transport) (streamgate_stream_readers)', legend: '{{transport}}' }], THIRD))

    .withRow(new dashboard.RowBuilder('HLS'))
    .withPanel(timeSeries('HLS readers by stream', 'HLS clients (connections) that fetched playlists or segments in the last seconds.', 'none',
      [{ expr: 'sum by (stream) (streamgate_hls_readers)', legend: '{{stream}}' }], THIRD))
    .withPanel(timeSeries('HLS muxers and parts', 'Streams being muxed to HLS, and LL-HLS parts produced per second.', 'none', [
      { expr: 'sum(streamgate_hls_muxers)', legend: 'muxers' },
      { expr: 'sum(rate(streamgate_hls_parts_total[$__rate_interval]))', legend: 'parts/s' },
      { expr: 'sum(rate(streamgate_hls_segments_total[$__rate_interval]))', legend: 'segments/s' },
    ], THIRD))
    .withPanel(timeSeries('HLS muxing latency p99', 'Ingest receive of a part\'s last sample to the part being servable, 99th percentile.', 's',
      [{ expr: 'histogram_quantile(0.99, sum by (le) (rate(streamgate_hls_muxing_latency_seconds_bucket[$__rate_interval])))', legend: 'p99' }], THIRD))

    .withRow(new dashboard.RowBuilder('Problems'))
    .withPanel(timeSeries('Packet loss by stream', 'Share of RTP packets missing from each source (sequence gaps). Alert above 2%.', 'percentunit',
      [{ expr: 'sum by (stream) (rate(streamgate_stream_packets_lost_total[$__rate_interval])) / sum by (stream) (rate(streamgate_stream_packets_received_total[$__rate_interval]))', legend: '{{stream}}' }], THIRD))
    .withPanel(timeSeries('Reconnects', 'Source reconnections per stream. Alert above 5 in 10 minutes.', 'none',
      [{ expr: 'sum by (stream) (increase(streamgate_stream_reconnects_total[$__rate_interval])) > 0', legend: '{{stream}}' }], THIRD))
    .withPanel(timeSeries('Errors by kind', 'Errors per second (protocol, decode, bus, store), all services.', 'reqps',
      [{ expr: 'sum by (kind, service) (rate(streamgate_errors_total[$__rate_interval]))', legend: '{{service}} {{kind}}' }], THIRD))
    .withPanel(timeSeries('Slow readers dropped', 'Readers rtsp-egress dropped because their queue exceeded READER_QUEUE_BYTES.', 'none',
      [{ expr: 'sum by (stream) (increase(streamgate_stream_readers_dropped_total[$__rate_interval])) > 0', legend: '{{stream}}' }], THIRD))
    .withPanel(timeSeries('Latency (ingest to egress)', 'Time from ingest receive to egress send per access unit, all streams.', 's',
      [50, 90, 99].map((p) => ({ expr: `histogram_quantile(0.${p}, sum by (le) (rate(streamgate_stream_latency_seconds_bucket[$__rate_interval])))`, legend: `p${p}` })), THIRD))
    .withPanel(latencyHeatmap('Latency distribution', 'Access units per latency bucket, all streams.',
      'sum by (le) (increase(streamgate_stream_latency_seconds_bucket[$__rate_interval]))', THIRD))

    .withRow(new dashboard.RowBuilder('Bus, store and instances'))
    .withPanel(statPanel('NATS', 'Lowest bus connection state over all instances (1 = every instance connected).', 'none',
      { expr: 'min(streamgate_bus_connected)' }, [{ value: null, color: BAD }, { value: 1, color: OK }], STAT).mappings(upDownMappings('connected', 'disconnected')))
    .withPanel(statPanel('Redis', 'Lowest state store connection state over all instances (1 = every instance connected).', 'none',
      { expr: 'min(streamgate_store_connected)' }, [{ value: null, color: BAD }, { value: 1, color: OK }], STAT).mappings(upDownMappings('reachable', 'unreachable')))
    .withPanel(timeSeries('Connected to NATS / Redis', 'Per service: 1 when every instance is connected.', 'none',
      [{ expr: 'min by (service) (streamgate_bus_connected)', legend: 'NATS {{service}}' }, { expr: 'min by (service) (streamgate_store_connected)', legend: 'Redis {{service}}' }], { w: 16, h: 4 }).max(1))
    .withPanel(timeSeries('Live instances by group', 'Instances heartbeating in each ownership group.', 'none',
      [{ expr: 'max by (group) (streamgate_instances)', legend: '{{group}}' }], THIRD))
    .withPanel(timeSeries('Owned streams by instance', 'Streams each instance owns through its leases.', 'none',
      [{ expr: 'sum by (group, instance) (streamgate_owned_streams)', legend: '{{group}} {{instance}}' }], THIRD))
    .withPanel(timeSeries('Lease handovers', 'Ownership leases given up or lost, by reason.', 'none',
      [{ expr: 'sum by (group, reason) (increase(streamgate_lease_handovers_total[$__rate_interval])) > 0', legend: '{{group}} {{reason}}' }], THIRD))
    .withPanel(timeSeries('Bus messages', 'Bus messages published per second, by kind.', 'reqps',
      [{ expr: 'sum by (kind) (rate(streamgate_bus_messages_total[$__rate_interval]))', legend: '{{kind}}' }], HALF))
    .withPanel(timeSeries('Bus throughput', 'Bus payload bits published per second, by kind.', 'bps',
      [{ expr: 'sum by (kind) (rate(streamgate_bus_sent_bytes_total[$__rate_interval])) * 8', legend: '{{kind}}' }], HALF))
    .withPanel(timeSeries('Control API latency p99', 'Control API request duration, 99th percentile by route.', 's',
      [{ expr: 'histogram_quantile(0.99, sum by (le, route) (rate(streamgate_api_request_duration_seconds_bucket[$__rate_interval])))', legend: '{{route}}' }], HALF))
    .withPanel(timeSeries('Control API requests', 'Control API requests per second by status.', 'reqps',
      [{ expr: 'sum by (status) (rate(streamgate_api_request_duration_seconds_count[$__rate_interval]))', legend: '{{status}}' }], HALF))
    .build());
}
