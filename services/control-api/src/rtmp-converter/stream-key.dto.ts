import { ApiProperty } from '@nestjs/swagger';
import { z } from 'zod';
import { STREAM_NAME_PATTERN } from '@streamgate/contracts';

export const StreamKeyBody = z.object({
  stream_key: z.string({ required_error: 'stream_key is required', invalid_type_error: 'stream_key must be a string' })
    .regex(STREAM_NAME_PATTERN, 'stream_key must be 1-64 characters from A-Z, a-z, 0-9, "_" and "-"'),
});

export class StreamKeyDto {
  @ApiProperty({ example: 'drone1', pattern: STREAM_NAME_PATTERN.source, description: 'RTMP stream key = RTSP path' })
  stream_key!: string;
}
