/**
 * streamgate stream drill-down: one stream (template variable `stream`) from its source to
 * its readers.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { PROMETHEUS, datasourceVariable, latencyHeatmap, numberPanels, statPanel, timeSeries, upDownMappings } from './panels';

const STAT = { w: 4, h: 4 };
const HALF = { w: 12, h: 8 };
const S = 'stream="$stream"';

export function streamDashboard(): dashboard.Dashboard {
  return numberPanels(new dashboard.DashboardBuilder('streamgate / Stream')
    .uid('streamgate-stream')
    .description('One stream of the streamgate gateway: source health, media rates, readers and latency.')
    .tags(['streamgate'])
    .refresh('10s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('browser')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .readonly()
    .withVariable(datasourceVariable())
    .withVariable(new dashboard.QueryVariableBuilder('stream')
      .label('Stream')
      .datasource(PROMETHEUS)
      .query('label_values(streamgate_stream_up, stream)')
      .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
      .sort(dashboard.VariableSort.AlphabeticalAsc))
    .link(new dashboard.DashboardLinkBuilder('Overview').type(dashboard.DashboardLinkType.Dashboards).tags(['streamgate']).asDropdown(false).includeVars(false).keepTime(true))

    .withRow(new dashboard.RowBuilder('Source'))
    .withPanel(statPanel('Source', 'Whether the source (camera or RTMP publisher) is delivering media.', 'none',
      { expr: `max(streamgate_stream_up{${S}})` }, [{ value: null, color: 'red' }, { value: 1, color: 'green' }], STAT).mappings(upDownMappings('UP', 'DOWN')))
    .withPanel(statPanel('Bitrate', 'Received bitrate.', 'bps', { expr: `max(streamgate_stream_bitrate_bits_per_second{${S}})` }, [{ value: null, color: 'blue' }], STAT))
    .withPanel(statPanel('FPS', 'Video frames per second.', 'none', { expr: `max(streamgate_stream_fps{${S}})` }, [{ value: null, color: 'red' }, { value: 5, color: 'orange' }, { value: 15, color: 'green' }], STAT))
    .withPanel(statPanel('Readers', 'RTSP readers playing.', 'none', { expr: `sum(streamgate_stream_readers{${S}}) or vector(0)` }, [{ value: null, color: 'blue' }], STAT))
    .withPanel(statPanel('Reconnects', 'Source reconnections in the time range.', 'none',
      { expr: `sum(increase(streamgate_stream_reconnects_total{${S}}[$__range])) or vector(0)` }, [{ value: null, color: 'green' }, { value: 1, color: 'orange' }, { value: 6, color: 'red' }], STAT))
    .withPanel(statPanel('Latency p99', 'Ingest receive to egress send, 99th percentile.', 's',
      { expr: `histogram_quantile(0.99, sum by (le) (rate(streamgate_stream_latency_seconds_bucket{${S}}[$__rate_interval])))` },
      [{ value: null, color: 'green' }, { value: 0.1, color: 'orange' }, { value: 0.5, color: 'red' }], STAT))
    .withPanel(timeSeries('Bitrate', 'Received bitrate.', 'bps', [{ expr: `max(streamgate_stream_bitrate_bits_per_second{${S}})`, legend: 'bitrate' }], HALF))
    .withPanel(timeSeries('Frame rate', 'Video frames per second, and access units assembled per second by track and codec.', 'none', [
      { expr: `max(streamgate_stream_fps{${S}})`, legend: 'video fps' },
      { expr: `sum by (track, codec) (rate(streamgate_stream_frames_received_total{${S}}[$__rate_interval]))`, legend: 'track {{track}} {{codec}} AU/s' },
    ], HALF))
    .withPanel(timeSeries('Packets lost', 'RTP packets per second from the source by track: lost (sequence gaps) and received.', 'pps', [
      { expr: `sum by (track) (rate(streamgate_stream_packets_lost_total{${S}}[$__rate_interval]))`, legend: 'lost track {{track}}' },
      { expr: `sum by (track) (rate(streamgate_stream_packets_received_total{${S}}[$__rate_interval]))`, legend: 'received track {{track}}' },
    ], HALF))
    .withPanel(timeSeries('Jitter', 'Interarrival jitter by track (RFC 3550 A.8).', 's', [{ expr: `max by (track) (streamgate_stream_jitter_seconds{${S}})`, legend: 'track {{track}}' }], HALF))
    .withPanel(timeSeries('Reconnects', 'Source reconnections.', 'none', [{ expr: `sum(increase(streamgate_stream_reconnects_total{${S}}[$__rate_interval]))`, legend: 'reconnects' }], HALF))
    .withPanel(timeSeries('Received', 'Media bits per second received by track.', 'bps', [{ expr: `sum by (track) (rate(streamgate_stream_received_bytes_total{${S}}[$__rate_interval])) * 8`, legend: 'track {{track}}' }], HALF))

    .withRow(new dashboard.RowBuilder('Readers'))
    .withPanel(timeSeries('Readers by transport', 'RTSP readers by transport (TCP interleaved, UDP).', 'none', [{ expr: `sum by (transport) (streamgate_stream_readers{${S}})`, legend: '{{transport}}' }], HALF))
    .withPanel(timeSeries('Sent by transport', 'Bits per second sent to readers by transport.', 'bps', [{ expr: `sum by (transport) (rate(streamgate_stream_sent_bytes_total{${S}}[$__rate_interval])) * 8`, legend: '{{transport}}' }], HALF))
    .withPanel(timeSeries('Slow readers dropped', 'Readers dropped because their queue exceeded READER_QUEUE_BYTES.', 'none', [{ expr: `sum(increase(streamgate_stream_readers_dropped_total{${S}}[$__rate_interval]))`, legend: 'dropped' }], HALF))
    .withPanel(timeSeries('Latency', 'Ingest receive to egress send per access unit.', 's',
      [50, 90, 99].map((p) => ({ expr: `histogram_quantile(0.${p}, sum by (le) (rate(streamgate_stream_latency_seconds_bucket{${S}}[$__rate_interval])))`, legend: `p${p}` })), HALF))
    .withPanel(latencyHeatmap('Latency histogram', 'Access units per latency bucket.', `sum by (le) (increase(streamgate_stream_latency_seconds_bucket{${S}}[$__rate_interval]))`, { w: 24, h: 8 }))

    .withRow(new dashboard.RowBuilder('HLS'))
    .withPanel(timeSeries('HLS readers', 'HLS clients (connections) that fetched playlists or segments in the last seconds.', 'none', [{ expr: `sum(streamgate_hls_readers{${S}}) or vector(0)`, legend: 'readers' }], HALF))
    .withPanel(timeSeries('HLS segments and parts', 'Segments and LL-HLS partial segments produced per second.', 'none', [
      { expr: `sum(rate(streamgate_hls_segments_total{${S}}[$__rate_interval]))`, legend: 'segments/s' },
      { expr: `sum(rate(streamgate_hls_parts_total{${S}}[$__rate_interval]))`, legend: 'parts/s' },
    ], HALF))
    .withPanel(timeSeries('HLS muxing latency', 'Ingest receive of a part\'s last sample to the part being servable.', 's',
      [50, 90, 99].map((p) => ({ expr: `histogram_quantile(0.${p}, sum by (le) (rate(streamgate_hls_muxing_latency_seconds_bucket{${S}}[$__rate_interval])))`, legend: `p${p}` })), HALF))
    .withPanel(timeSeries('HLS memory', 'Bytes of segments and parts held in memory for the stream.', 'bytes', [{ expr: `sum(streamgate_hls_buffered_bytes{${S}}) or vector(0)`, legend: 'buffered' }], HALF))
    .build());
}
