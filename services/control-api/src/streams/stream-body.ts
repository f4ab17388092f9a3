import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { z } from 'zod';
import { CONTROL_CHARACTERS } from '@streamgate/platform';
import {
  MAX_BACKUP_SOURCES, PUBLISHED_SOURCE_PREFIX, RTSP_URL_PATTERN, SOURCE_POLICY_DEFAULTS, STREAM_NAME_PATTERN, StreamTransport, publishedKey,
} from '@streamgate/contracts';

const nullableInt = (max: number, field: string) =>
  z.number({ invalid_type_error: `${field} must be an integer` }).int(`${field} must be an integer`).min(0).max(max).nullable().optional();
const nullableString = (field: string) =>
  z.string({ invalid_type_error: `${field} must be a string` }).max(256, `${field} is longer than 256 characters`)
    .refine((v) => !CONTROL_CHARACTERS.test(v), `${field} must not contain control characters`).nullable().optional();

const seconds = (field: string, min: number, max: number) =>
  z.number({ invalid_type_error: `${field} must be a number of seconds` }).min(min, `${field} must be at least ${min}`).max(max, `${field} must be at most ${max}`).optional();
const cameraUrlField = (field: string) =>
  z.string({ required_error: `${field} is required`, invalid_type_error: `${field} must be a string` })
    .max(2048, `${field} is longer than 2048 characters`)
    .regex(RTSP_URL_PATTERN, `${field} must be an rtsp:// or rtsps:// URL with a host`)
    .refine((v) => !CONTROL_CHARACTERS.test(v), `${field} must not contain control characters (CR, LF, ...)`);

/** A backup entry of `sources`: a camera URL, or `publish:<key>` (a stream key pushed to us). */
const sourceField = (field: string) =>
  z.string({ invalid_type_error: `${field} must be a string` })
    .max(2048, `${field} is longer than 2048 characters`)
    .refine((v) => publishedKey(v) !== undefined || (RTSP_URL_PATTERN.test(v) && !CONTROL_CHARACTERS.test(v)),
      `${field} must be an rtsp:// or rtsps:// URL with a host, or ${PUBLISHED_SOURCE_PREFIX}<stream key>`);

/**
 * Body of POST /api/streams and each entry of POST /api/config/streams: the seed's fields, plus
 * `sources` (go2rtc's ordered list: the primary first, then backups; `rtsp_url` may be left out
 * or must equal `sources[0]`) and the on-demand fields (MediaMTX's sourceOnDemand*).
 */
export const StreamBody = z.object({
  name: z.string({ required_error: 'name is required', invalid_type_error: 'name must be a string' })
    .regex(STREAM_NAME_PATTERN, 'name must be 1-64 characters from A-Z, a-z, 0-9, "_" and "-"'),
  rtsp_url: cameraUrlField('rtsp_url').optional(),
  sources: z.array(sourceField('sources[]'), { invalid_type_error: 'sources must be an array of rtsp:// URLs' })
    .min(1, 'sources must name at least the primary')
    .max(1 + MAX_BACKUP_SOURCES, `sources holds at most ${1 + MAX_BACKUP_SOURCES} URLs (the primary and ${MAX_BACKUP_SOURCES} backups)`).optional(),
  switch_back_after: seconds('switch_back_after', 0, 3600),
  on_demand: z.boolean({ invalid_type_error: 'on_demand must be true or false' }).optional(),
  on_demand_start_timeout: seconds('on_demand_start_timeout', 0.1, 120),
  on_demand_close_after: seconds('on_demand_close_after', 1, 3600),
  channel: nullableInt(1024, 'channel'),
  subtype: nullableInt(16, 'subtype'),
  username: nullableString('username'),
  password: nullableString('password'),
  enabled: z.boolean({ invalid_type_error: 'enabled must be true or false' }).optional(),
  transport: StreamTransport.optional(),
  tls_verify: z.boolean({ invalid_type_error: 'tls_verify must be true or false' }).optional(),
}).strict().superRefine((body, ctx) => {
  if (body.rtsp_url === undefined && body.sources === undefined) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['rtsp_url'], message: 'rtsp_url is required' });
  } else if (body.rtsp_url !== undefined && body.sources !== undefined && body.sources[0] !== body.rtsp_url) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['sources'], message: 'sources[0] is the primary and must equal rtsp_url when both are given' });
  }
  if (body.sources !== undefined && body.rtsp_url === undefined && !RTSP_URL_PATTERN.test(body.sources[0])) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['sources', 0], message: 'sources[0] is the primary and must be an rtsp:// or rtsps:// camera URL' });
  }
  for (const [i, entry] of (body.sources ?? []).entries()) {
    if (publishedKey(entry) === body.name) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['sources', i], message: `${entry} is the stream itself: a published backup names another stream key` });
    }
  }
});
export type StreamBody = z.infer<typeof StreamBody>;

/** The primary URL and the backups of a parsed body. */
export function bodySources(body: StreamBody): { primary: string; backups: string[] } {
  const list = body.sources ?? [];
  return { primary: body.rtsp_url ?? list[0], backups: list.slice(1) };
}

export const ConfigStreamsBody = z.object({
  streams: z.array(z.unknown(), { required_error: 'streams is required', invalid_type_error: 'streams must be an array' })
    .max(1000, 'at most 1000 streams per request'),
}).passthrough();

export class StreamBodyDto {
  @ApiProperty({ example: 'front_door', pattern: STREAM_NAME_PATTERN.source })
  name!: string;
  @ApiPropertyOptional({ example: 'rtsp://192.168.1.64:554/Streaming/Channels/101', description: 'rtsp:// URL; user:pass@ in it is split into username/password (required unless sources is given)' })
  rtsp_url?: string;
  @ApiPropertyOptional({ example: 1, nullable: true, description: 'Dahua channel (added as cam/realmonitor?channel= when the URL has no path)' })
  channel?: number | null;
  @ApiPropertyOptional({ example: 0, nullable: true })
  subtype?: number | null;
  @ApiPropertyOptional({ example: 'admin', nullable: true, writeOnly: true })
  username?: string | null;
  @ApiPropertyOptional({ example: '<camera password>', nullable: true, writeOnly: true, description: 'write-only: never returned' })
  password?: string | null;
  @ApiPropertyOptional({ example: true, default: true, description: 'start pulling at once' })
  enabled?: boolean;
  @ApiPropertyOptional({ enum: ['auto', 'udp', 'tcp'], default: 'auto' })
  transport?: 'auto' | 'udp' | 'tcp';
  @ApiPropertyOptional({ example: true, default: true, description: 'rtsps:// cameras: verify the certificate (false for self-signed cameras)' })
  tls_verify?: boolean;
  @ApiPropertyOptional({
    type: [String], example: ['rtsp://192.168.1.64/main', 'rtsp://user:pass@192.168.1.65/main'],
    description: 'ordered sources, the primary (a camera) first: when the active one fails the next takes over; a backup is a camera URL or publish:<key> (an RTMP push to this gateway under that key); user:pass@ is split out and write-only',
  })
  sources?: string[];
  @ApiPropertyOptional({ example: 10, default: SOURCE_POLICY_DEFAULTS.switch_back_after, description: 'seconds the primary must be healthy before it replaces a backup' })
  switch_back_after?: number;
  @ApiPropertyOptional({ example: false, default: false, description: 'pull only while a reader, a frame request or a recording needs the stream' })
  on_demand?: boolean;
  @ApiPropertyOptional({ example: 10, default: SOURCE_POLICY_DEFAULTS.on_demand_start_timeout, description: 'seconds the first consumer waits for the camera (sourceOnDemandStartTimeout)' })
  on_demand_start_timeout?: number;
  @ApiPropertyOptional({ example: 10, default: SOURCE_POLICY_DEFAULTS.on_demand_close_after, description: 'seconds without a consumer before the camera is released (sourceOnDemandCloseAfter)' })
  on_demand_close_after?: number;
}

export class ConfigStreamsDto {
  @ApiProperty({ type: [StreamBodyDto] })
  streams!: StreamBodyDto[];
}
