/**
 * Live status records: what each service writes under `status/<stream>/<service>` every
 * STATUS_INTERVAL_MS (TTL STATUS_TTL_MS), and what the control API, the metrics and the
 * packetizer's assignment read back. One schema per record, written by its owner only.
 * Field names are the public API's (snake_case, the seeds' contract): the API copies them.
 *
 * Writers validate before writing (`encodeStatus`: every field present and of its type,
 * unknown fields dropped, so a writer cannot drift from the schema). Readers decode with
 * `decodeStatus` into the same fields, each of which may be missing (a record from an older
 * writer): the reader supplies the default. A field of the wrong type, or a record that is
 * not JSON, makes the record absent.
 */
import { z } from 'zod';
import { SourceKind } from './messages';

const count = z.number().int().nonnegative();
/** Unix seconds (float: ms precision), null before the first. */
const unixSeconds = z.number().nonnegative().nullable();

/** `status/<s>/ingest` while an RTMP publisher pushes (and once more when it leaves). */
export const RtmpIngestStatus = z.object({
  source: z.literal('rtmp'),
  connected: z.boolean(),
  publishing: z.boolean(),
  packets_received: count,
  frames_received: count,
  bytes_received: count,
  last_frame_time: unixSeconds,
  /** Unix seconds. */
  started_at: z.number().nonnegative(),
  generation: count,
  video_codec: z.string().nullable(),
  audio_codec: z.string().nullable(),
  /** RTMP application from connect ("live", "stream"). */
  remote_app: z.string().max(256),
});
export type RtmpIngestStatus = z.infer<typeof RtmpIngestStatus>;

/** `status/<s>/ingest` of a pulled camera. */
export const RtspIngestStatus = z.object({
  source: z.literal('rtsp'),
  connected: z.boolean(),
  playing: z.boolean(),
  /** Transport of the current session ("udp", "tcp"), null when not playing. */
  transport: z.string().nullable(),
  packets_received: count,
  bytes_received: count,
  packets_lost: z.number().int(),
  /** Seconds (RFC 3550 A.8), the worst track's. */
  jitter: z.number().nonnegative(),
  reconnects: count,
  /** Credential-free by construction (the puller scrubs it). Cleared once media flows again. */
  last_error: z.string().nullable(),
  /** When the latest error happened (Unix seconds); kept after recovery, unlike last_error. */
  last_error_at: unixSeconds.optional(),
  /** Ingest instance holding the camera's lease. */
  owner: z.string().optional(),
  generation: count,
  last_packet_time: unixSeconds,
  /** Index of the source being pulled (0 = the primary `rtsp_url`, 1.. = `backup_sources`). */
  active_source: count.optional(),
  /** Changes of the active source (failovers and returns to the primary), lifetime of the puller. */
  source_switches: count.optional(),
  /** On-demand camera: true while released for want of a consumer (not an error). */
  idle: z.boolean().optional(),
});
export type RtspIngestStatus = z.infer<typeof RtspIngestStatus>;

export const IngestStatus = z.discriminatedUnion('source', [RtmpIngestStatus, RtspIngestStatus]);
export type IngestStatus = z.infer<typeof IngestStatus>;

export const TrackStatus = z.object({
  id: z.number().int().nonnegative(),
  media: z.enum(['video', 'audio']),
  codec: z.string(),
  profile: z.string().nullable(),
  level: z.string().nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  sample_rate: z.number().int().nullable(),
  channels: z.number().int().nullable(),
});
export type TrackStatus = z.infer<typeof TrackStatus>;

export const UnsupportedTrack = z.object({ index: z.number().int(), media: z.string(), codec: z.string(), reason: z.string() });
export type UnsupportedTrack = z.infer<typeof UnsupportedTrack>;

/** `status/<s>/packetizer`. */
export const PacketizerStatus = z.object({
  source: SourceKind,
  frames_received: count,
  fps: z.number().nonnegative(),
  bitrate_kbps: z.number().nonnegative(),
  tracks: z.array(TrackStatus),
  /** Unix seconds of the latest video frame, null before the first. */
  last_frame_time: unixSeconds,
  unsupported_tracks: z.array(UnsupportedTrack),
});
export type PacketizerStatus = z.infer<typeof PacketizerStatus>;

/** `status/<s>/rtsp-egress`. */
export const EgressStatus = z.object({
  readers: count,
  readers_tcp: count,
  readers_udp: count,
  bytes_sent: count,
  dropped_readers: count,
});
export type EgressStatus = z.infer<typeof EgressStatus>;

/** The service that owns each status record, and the schema of what it writes. */
export const StatusSchemas = {
  ingest: IngestStatus,
  packetizer: PacketizerStatus,
  'rtsp-egress': EgressStatus,
} as const;
export type StatusService = keyof typeof StatusSchemas;
export type StatusOf<S extends StatusService> = z.infer<(typeof StatusSchemas)[S]>;

/** What readers decode: the writers' schemas with every field optional but an ingest record's `source`. */
export const StatusRecordSchemas = {
  ingest: z.discriminatedUnion('source', [
    RtmpIngestStatus.partial().required({ source: true }),
    RtspIngestStatus.partial().required({ source: true }),
  ]),
  packetizer: PacketizerStatus.partial(),
  'rtsp-egress': EgressStatus.partial(),
} as const;
export type StatusRecordOf<S extends StatusService> = z.infer<(typeof StatusRecordSchemas)[S]>;
export type IngestStatusRecord = StatusRecordOf<'ingest'>;
export type PacketizerStatusRecord = StatusRecordOf<'packetizer'>;
export type EgressStatusRecord = StatusRecordOf<'rtsp-egress'>;

/** Every service rewrites its live status this often; a status not rewritten within the TTL disappears. */
export const STATUS_INTERVAL_MS = 1000;
export const STATUS_TTL_MS = 15_000;

/** Store key of the live status a service writes for a stream (`status/<s>/<service>`). */
export const statusKey = (stream: string, service: StatusService): string => `status/${stream}/${service}`;
export const ingestStatusKey = (stream: string): string => statusKey(stream, 'ingest');
export const STATUS_PREFIX = 'status/';

/** `status/<stream>/<service>` → its parts, or undefined for any other key. */
export function parseStatusKey(key: string): { stream: string; service: StatusService } | undefined {
  const [prefix, stream, service, ...rest] = key.split('/');
  if (prefix !== 'status' || !stream || rest.length > 0 || !(service in StatusSchemas)) return undefined;
  return { stream, service: service as StatusService };
}

export class StatusError extends Error {
  constructor(readonly service: StatusService, readonly issues: string) {
    super(`invalid ${service} status: ${issues}`);
    this.name = 'StatusError';
  }
}

const describeIssues = (e: z.ZodError): string => e.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ').slice(0, 500);

/** The JSON a writer stores: validated against its service's schema, unknown fields dropped. */
export function encodeStatus<S extends StatusService>(service: S, status: StatusOf<S>): string {
  const parsed = StatusSchemas[service].safeParse(status);
  if (!parsed.success) throw new StatusError(service, describeIssues(parsed.error));
  return JSON.stringify(parsed.data);
}

/**
 * A stored record, or undefined when it is missing, not JSON, or not a record of this service
 * (a reader treats those as "no status"). Records from an older writer that lack fields decode.
 */
export function decodeStatus<S extends StatusService>(service: S, raw: string | undefined): StatusRecordOf<S> | undefined {
  if (raw === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const parsed = StatusRecordSchemas[service].safeParse(json);
  return parsed.success ? (parsed.data as StatusRecordOf<S>) : undefined;
}

/** Store key of a stream's source-generation counter: one per source start, RTMP and RTSP alike. */
export const sourceGenerationKey = (stream: string): string => `generations/${stream}`;
