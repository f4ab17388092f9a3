import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { parseBody } from '../common/zod-body';
import { ConfigLoaderService, LoadResult } from './config-loader.service';
import { ConfigStreamsBody, ConfigStreamsDto } from './stream-body';

@ApiTags('streams')
@Controller('api/config')
export class ConfigStreamsController {
  constructor(private readonly loader: ConfigLoaderService) {}

  @Post('streams')
  @HttpCode(200)
  @ApiOperation({ summary: 'Add or update many streams at once (the config.json format); per-stream results' })
  @ApiBody({ type: ConfigStreamsDto, examples: { two: { value: { streams: [
    { name: 'cam1', rtsp_url: 'rtsp://192.168.1.64/Streaming/Channels/101', username: 'admin', password: 'secret' },
    { name: 'cam2', rtsp_url: 'rtsp://192.168.1.108:554', channel: 1, subtype: 1, enabled: false },
  ] } } } })
  @ApiResponse({ status: 200, schema: { example: { total: 2, created: 1, updated: 0, failed: 1, results: [
    { name: 'cam1', status: 'created' }, { name: 'cam2', status: 'failed', reason: 'rtsp_url: rtsp_url must be an rtsp:// or rtsps:// URL with a host' },
  ] } } })
  async load(@Body() body: unknown): Promise<{ total: number; created: number; updated: number; failed: number; results: LoadResult[] }> {
    const { streams } = parseBody(ConfigStreamsBody, body);
    const results = await this.loader.load(streams);
    const count = (s: LoadResult['status']): number => results.filter((r) => r.status === s).length;
    return { total: results.length, created: count('created'), updated: count('updated'), failed: count('failed'), results };
  }
}
