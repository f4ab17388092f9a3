import { Controller, Get, Inject, Req } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import type { ServiceContext } from '@streamgate/platform';
import { SERVICE_CONTEXT } from '../common/service-context.token';
import { publicHost, rtmpUrl } from '../rtmp-converter/public-urls';

/** What the web console needs to hand out URLs: the HLS and RTMP bases as seen by this client. */
@ApiTags('console')
@Controller('api/console')
export class ConsoleController {
  constructor(@Inject(SERVICE_CONTEXT) private readonly ctx: ServiceContext) {}

  @Get()
  @ApiOperation({ summary: 'URL bases for the web console (HLS, RTMP) and whether reads need the API key' })
  @ApiResponse({ status: 200, schema: { example: { hls_base: 'http://gw.example:8888', rtmp_base: 'rtmp://gw.example:1935/live', reads_need_key: false } } })
  urls(@Req() req: Request): Record<string, unknown> {
    const host = publicHost(this.ctx.config, req.headers.host);
    const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    return {
      hls_base: `${this.ctx.tls ? 'https' : 'http'}://${hostPart}:${this.ctx.config.HLS_PORT}`,
      rtmp_base: rtmpUrl(this.ctx.config, host, '').replace(/\/$/, ''),
      reads_need_key: this.ctx.config.API_KEY_READS,
    };
  }
}
