import { z } from 'zod';
import { STREAM_NAME_PATTERN } from './stream-name';

/**
 * The stream registry: cameras to pull, as the control API stores them (`streams/<name>`) and
 * ingest reads them. Credentials live here and nowhere else; they are write-only through the
 * API and never logged.
 */
export const REGISTRY_PREFIX = 'streams/';
export const registryKey = (name: string): string => `${REGISTRY_PREFIX}${name}`;

/** Published whenever the registry changes, so ingest instances reconcile at once. */
export const REGISTRY_CHANGED_SUBJECT = 'registry.streams.changed';

export const RTSP_URL_PATTERN = /^rtsps?:\/\/[^\s/?#]+(?:[/?#]\S*)?$/i;

export const StreamTransport = z.enum(['auto', 'udp', 'tcp']);
export type StreamTransport = z.infer<typeof StreamTransport>;

export const StreamConfig = z.object({
  name: z.string().regex(STREAM_NAME_PATTERN),
  /** Camera URL without credentials (they are split out into username/password). */
  rtsp_url: z.string().regex(RTSP_URL_PATTERN).max(2048),
  channel: z.number().int().min(0).max(1024).nullable().default(null),
  subtype: z.number().int().min(0).max(16).nullable().default(null),
  username: z.string().max(256).nullable().default(null),
  password: z.string().max(256).nullable().default(null),
  enabled: z.boolean().default(true),
  transport: StreamTransport.default('auto'),
  created_at: z.number(),
  updated_at: z.number(),
});
export type StreamConfig = z.infer<typeof StreamConfig>;

export const RegistryChanged = z.object({
  name: z.string().regex(STREAM_NAME_PATTERN),
  action: z.enum(['created', 'updated', 'started', 'stopped', 'deleted']),
});
export type RegistryChanged = z.infer<typeof RegistryChanged>;

/**
 * The URL ingest connects to: Dahua-style `cam/realmonitor?channel=&subtype=` is added when
 * channel is set and the URL has no path of its own.
 */
export function cameraUrl(config: Pick<StreamConfig, 'rtsp_url' | 'channel' | 'subtype'>): string {
  const url = new URL(config.rtsp_url);
  if (config.channel !== null && (url.pathname === '' || url.pathname === '/') && !url.search) {
    url.pathname = '/cam/realmonitor';
    url.search = `?channel=${config.channel}&subtype=${config.subtype ?? 0}`;
  }
  return url.toString();
}

/** Splits `rtsp://user:pass@host/...` into a URL without userinfo and the credentials. */
export function splitUrlCredentials(raw: string): { url: string; username: string | null; password: string | null } {
  const url = new URL(raw);
  const username = url.username ? decodeURIComponent(url.username) : null;
  const password = url.password ? decodeURIComponent(url.password) : null;
  url.username = '';
  url.password = '';
  return { url: url.toString(), username, password };
}

/** The URL as shown to people: credentials replaced by `***`. */
export function maskUrl(raw: string, hasCredentials: boolean): string {
  const url = new URL(raw);
  const hadUserinfo = url.username !== '' || url.password !== '';
  url.username = '';
  url.password = '';
  const text = url.toString();
  return hasCredentials || hadUserinfo ? text.replace('://', '://***:***@') : text;
}
