import { z } from 'zod';
import { STREAM_NAME_PATTERN, isValidStreamName } from './stream-name';

/**
 * The stream registry: cameras to pull, as the control API stores them (`streams/<name>`) and
 * ingest reads them. Credentials live here and nowhere else; they are write-only through the
 * API and never logged.
 */
export const REGISTRY_PREFIX = 'streams/';
export const registryKey = (name: string): string => `${REGISTRY_PREFIX}${name}`;

/**
 * Written (no TTL) by the control API once the registry in the store is complete. Its absence,
 * after it was seen, means the store lost its data: ingest then keeps pulling what it pulls
 * instead of reading an empty registry as "every camera removed", until the control API has
 * re-asserted the registry from its durable copy (docs/architecture.md, "Registry durability").
 */
export const REGISTRY_ASSERTED_KEY = 'registry/asserted';

export const RTSP_URL_PATTERN = /^rtsps?:\/\/[^\s/?#]+(?:[/?#]\S*)?$/i;

export const StreamTransport = z.enum(['auto', 'udp', 'tcp']);
export type StreamTransport = z.infer<typeof StreamTransport>;

/** Most backup sources per stream (beside the primary `rtsp_url`). */
export const MAX_BACKUP_SOURCES = 8;

/**
 * A camera backup of a stream: another camera URL, tried in order when the active source
 * fails. Its credentials are split out of the URL and sealed in the store like the primary's.
 */
export const CameraBackupSource = z.object({
  rtsp_url: z.string().regex(RTSP_URL_PATTERN).max(2048),
  username: z.string().max(256).nullable().default(null),
  password: z.string().max(256).nullable().default(null),
});
export type CameraBackupSource = z.infer<typeof CameraBackupSource>;

/**
 * A published backup of a stream: whatever is pushed to this gateway under the stream key
 * `publish` (RTMP today) feeds the stream while this source is active. Written `publish:<key>`
 * in a stream's `sources` list.
 */
export const PublishedBackupSource = z.object({ publish: z.string().regex(STREAM_NAME_PATTERN) }).strict();
export type PublishedBackupSource = z.infer<typeof PublishedBackupSource>;

/** `sources[]` entries that name a published key rather than a camera URL start with this. */
export const PUBLISHED_SOURCE_PREFIX = 'publish:';

export const BackupSource = z.union([CameraBackupSource, PublishedBackupSource]);
export type BackupSource = z.infer<typeof BackupSource>;

export function isPublishedSource<T extends object>(source: T | PublishedBackupSource): source is PublishedBackupSource {
  return 'publish' in source;
}

/** Defaults of the source policy fields (seconds), documented in README. */
export const SOURCE_POLICY_DEFAULTS = {
  /** The primary must deliver media this long while a backup is active before it takes over again. */
  switch_back_after: 10,
  /** MediaMTX's sourceOnDemandStartTimeout: how long the first reader waits for the camera's first keyframe. */
  on_demand_start_timeout: 10,
  /** MediaMTX's sourceOnDemandCloseAfter: the camera is released after this long without a consumer. */
  on_demand_close_after: 10,
} as const;

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
  /** rtsps:// cameras: verify the camera's certificate (false for self-signed cameras). */
  tls_verify: z.boolean().default(true),
  /** Ordered backups of `rtsp_url` (the primary): on failure the next one takes over. */
  backup_sources: z.array(BackupSource).max(MAX_BACKUP_SOURCES).default([]),
  /** Seconds the primary must be healthy again before it replaces an active backup. */
  switch_back_after: z.number().min(0).max(3600).default(SOURCE_POLICY_DEFAULTS.switch_back_after),
  /** Pull only while a reader, a frame request or a recording needs the stream. */
  on_demand: z.boolean().default(false),
  on_demand_start_timeout: z.number().min(0.1).max(120).default(SOURCE_POLICY_DEFAULTS.on_demand_start_timeout),
  on_demand_close_after: z.number().min(1).max(3600).default(SOURCE_POLICY_DEFAULTS.on_demand_close_after),
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

/** One source a camera stream can be pulled from: the URL to connect to and its credentials. */
export interface CameraSource {
  url: string;
  username: string | null;
  password: string | null;
}

/** One source of a stream: a camera to pull, or a key pushed to this gateway. */
export type StreamSource = CameraSource | PublishedBackupSource;

/** A stream's sources in order: the primary camera (index 0, `cameraUrl`) then its backups. */
export function streamSources(config: StreamConfig): [CameraSource, ...StreamSource[]] {
  return [
    { url: cameraUrl(config), username: config.username, password: config.password },
    ...config.backup_sources.map((b): StreamSource => (isPublishedSource(b) ? { publish: b.publish } : { url: b.rtsp_url, username: b.username, password: b.password })),
  ];
}

/** The stream key of a `publish:<key>` entry of `sources` (the inverse of sourceLabel); undefined otherwise. */
export function publishedKey(entry: string): string | undefined {
  if (!entry.startsWith(PUBLISHED_SOURCE_PREFIX)) return undefined;
  const key = entry.slice(PUBLISHED_SOURCE_PREFIX.length);
  return isValidStreamName(key) ? key : undefined;
}

/** A source as people see it in `sources`: a camera URL with credentials masked, or `publish:<key>`. */
export function sourceLabel(source: CameraBackupSource | PublishedBackupSource): string {
  return isPublishedSource(source) ? `${PUBLISHED_SOURCE_PREFIX}${source.publish}` : maskUrl(source.rtsp_url, source.username !== null || source.password !== null);
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
