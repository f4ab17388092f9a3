import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { z } from 'zod';
import { RTSP_URL_PATTERN, STREAM_NAME_PATTERN, StreamTransport } from '@streamgate/contracts';

const nullableInt = (max: number, field: string) =>
  z.number({ invalid_type_error: `${field} must be an integer` }).int(`${field} must be an integer`).min(0).max(max).nullable().optional();
const nullableString = (field: string) =>
  z.string({ invalid_type_error: `${field} must be a string` }).max(256, `${field} is longer than 256 characters`).nullable().optional();

/** Body of POST /api/streams and each entry of POST /api/config/streams (the seed's fields). */
export const StreamBody = z.object({
  name: z.string({ required_error: 'name is required', invalid_type_error: 'name must be a string' })
    .regex(STREAM_NAME_PATTERN, 'name must be 1-64 characters from A-Z, a-z, 0-9, "_" and "-"'),
  rtsp_url: z.string({ required_error: 'rtsp_url is required', invalid_type_error: 'rtsp_url must be a string' })
    .max(2048, 'rtsp_url is longer than 2048 characters')
    .regex(RTSP_URL_PATTERN, 'rtsp_url must be an rtsp:// or rtsps:// URL with a host'),
  channel: nullableInt(1024, 'channel'),
  subtype: nullableInt(16, 'subtype'),
  username: nullableString('username'),
  password: nullableString('password'),
  enabled: z.boolean({ invalid_type_error: 'enabled must be true or false' }).optional(),
  transport: StreamTransport.optional(),
}).strict();
export type StreamBody = z.infer<typeof StreamBody>;

export const ConfigStreamsBody = z.object({
  streams: z.array(z.unknown(), { required_error: 'streams is required', invalid_type_error: 'streams must be an array' })
    .max(1000, 'at most 1000 streams per request'),
}).passthrough();

export class StreamBodyDto {
  @ApiProperty({ example: 'front_door', pattern: STREAM_NAME_PATTERN.source })
  name!: string;
  @ApiProperty({ example: 'rtsp://192.168.1.64:554/Streaming/Channels/101', description: 'rtsp:// URL; user:pass@ in it is split into username/password' })
  rtsp_url!: string;
  @ApiPropertyOptional({ example: 1, nullable: true, description: 'Dahua channel (added as cam/realmonitor?channel= when the URL has no path)' })
  channel?: number | null;
  @ApiPropertyOptional({ example: 0, nullable: true })
  subtype?: number | null;
  @ApiPropertyOptional({ example: 'admin', nullable: true, writeOnly: true })
  username?: string | null;
  @ApiPropertyOptional({ example: 'secret', nullable: true, writeOnly: true, description: 'write-only: never returned' })
  password?: string | null;
  @ApiPropertyOptional({ example: true, default: true, description: 'start pulling at once' })
  enabled?: boolean;
  @ApiPropertyOptional({ enum: ['auto', 'udp', 'tcp'], default: 'auto' })
  transport?: 'auto' | 'udp' | 'tcp';
}

export class ConfigStreamsDto {
  @ApiProperty({ type: [StreamBodyDto] })
  streams!: StreamBodyDto[];
}
