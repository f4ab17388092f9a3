import { StreamConfig, maskUrl, sourceLabel } from '@streamgate/contracts';
import { redactUrlCredentials } from '@streamgate/platform';
import type { StreamStatusParts } from '../status/stream-status.service';

/**
 * The public shape of a stream (snake_case, as the seed's API). Built from the registry entry
 * (pulled cameras) and the live status each service writes (decoded by the status schemas in
 * contracts). Credentials never appear.
 */
export function streamView(
  name: string,
  config: StreamConfig | undefined,
  parts: StreamStatusParts | undefined,
  playUrl: string,
): Record<string, unknown> {
  const ingest = parts?.ingest;
  const rtmp = ingest?.source === 'rtmp' ? ingest : undefined;
  const rtsp = ingest?.source === 'rtsp' ? ingest : undefined;
  const packetizer = parts?.packetizer;
  const egress = parts?.egress;
  const source = config ? 'rtsp' : (ingest?.source ?? 'rtmp');
  const connected = ingest?.connected ?? false;
  const playing = source === 'rtmp' ? rtmp?.publishing ?? false : rtsp?.playing ?? false;
  return {
    name,
    source,
    enabled: config ? config.enabled : true,
    connected,
    playing,
    rtsp_url: config ? maskUrl(config.rtsp_url, config.username !== null || config.password !== null) : null,
    channel: config?.channel ?? null,
    subtype: config?.subtype ?? null,
    transport: rtsp?.transport ?? (config ? config.transport : 'rtmp'),
    play_url: playUrl,
    packets_received: ingest?.packets_received ?? 0,
    frames_received: packetizer?.frames_received || rtmp?.frames_received || 0,
    bytes_received: ingest?.bytes_received ?? 0,
    packets_lost: rtsp?.packets_lost ?? 0,
    jitter: rtsp?.jitter ?? 0,
    fps: packetizer?.fps ?? 0,
    bitrate_kbps: packetizer?.bitrate_kbps ?? 0,
    last_frame_time: packetizer?.last_frame_time ?? rtmp?.last_frame_time ?? null,
    tracks: packetizer?.tracks ?? [],
    readers: egress?.readers ?? 0,
    bytes_sent: egress?.bytes_sent ?? 0,
    reconnects: rtsp?.reconnects ?? 0,
    last_error: rtsp?.last_error == null ? null : redactUrlCredentials(rtsp.last_error),
    last_error_at: rtsp?.last_error_at ?? null,
    created_at: config?.created_at ?? null,
    // Backup sources and on-demand pulling (cameras only); URLs masked like rtsp_url.
    sources: config ? [config, ...config.backup_sources].map(sourceLabel) : [],
    active_source: config ? rtsp?.active_source ?? 0 : null,
    source_switches: rtsp?.source_switches ?? 0,
    switch_back_after: config?.switch_back_after ?? null,
    on_demand: config?.on_demand ?? false,
    on_demand_close_after: config?.on_demand ? config.on_demand_close_after : null,
    idle: rtsp?.idle ?? false,
  };
}
