import { StreamConfig, maskUrl } from '@streamgate/contracts';
import { redactUrlCredentials } from '@streamgate/platform';
import type { StreamStatusParts } from '../status/stream-status.service';

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const flt = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * The public shape of a stream (snake_case, as the seed's API). Built from the registry entry
 * (pulled cameras) and the live status each service writes. Credentials never appear.
 */
export function streamView(
  name: string,
  config: StreamConfig | undefined,
  parts: StreamStatusParts | undefined,
  playUrl: string,
): Record<string, unknown> {
  const ingest = parts?.ingest ?? {};
  const packetizer = parts?.packetizer ?? {};
  const egress = parts?.egress ?? {};
  const source = config ? 'rtsp' : (str(ingest.source) ?? 'rtmp');
  const connected = ingest.connected === true;
  const playing = source === 'rtmp' ? ingest.publishing === true : ingest.playing === true;
  return {
    name,
    source,
    enabled: config ? config.enabled : true,
    connected,
    playing,
    rtsp_url: config ? maskUrl(config.rtsp_url, config.username !== null || config.password !== null) : null,
    channel: config?.channel ?? null,
    subtype: config?.subtype ?? null,
    transport: str(ingest.transport) ?? (config ? config.transport : 'rtmp'),
    play_url: playUrl,
    packets_received: num(ingest.packets_received),
    frames_received: num(packetizer.frames_received) || num(ingest.frames_received),
    bytes_received: num(ingest.bytes_received),
    packets_lost: num(ingest.packets_lost),
    jitter: num(ingest.jitter),
    fps: num(packetizer.fps),
    bitrate_kbps: num(packetizer.bitrate_kbps),
    last_frame_time: flt(packetizer.last_frame_time) ?? flt(ingest.last_frame_time),
    tracks: Array.isArray(packetizer.tracks) ? packetizer.tracks : [],
    readers: num(egress.readers),
    bytes_sent: num(egress.bytes_sent),
    reconnects: num(ingest.reconnects),
    last_error: str(ingest.last_error) === null ? null : redactUrlCredentials(String(ingest.last_error)),
    created_at: config?.created_at ?? null,
  };
}
