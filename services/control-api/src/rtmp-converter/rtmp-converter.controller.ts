import { Body, Controller, Get, HttpCode, Inject, NotFoundException, Post, Req } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import type { ServiceContext } from '@streamgate/platform';
import { SERVICE_CONTEXT } from '../common/service-context.token';
import { parseBody } from '../common/zod-body';
import { StreamStatusService } from '../status/stream-status.service';
import { publicHost, rtmpUrl, rtspUrl } from './public-urls';
import { RtmpKeysService } from './rtmp-keys.service';
import { StreamKeyBody, StreamKeyDto } from './stream-key.dto';
import { streamView } from '../streams/stream-view';

/**
 * The RTMP converter's API, kept as it was: `POST /start`, `GET /streams`, `POST /stop`, all
 * keyed by `stream_key`. With zero configuration any key publishes; `/start` registers a key
 * (needed when RTMP_REQUIRE_KNOWN_KEYS=true) and returns its URLs and a publish token that
 * lets an encoder publish that key (`?token=`) when users are configured.
 */
@ApiTags('rtmp-converter')
@Controller()
export class RtmpConverterController {
  constructor(
    @Inject(SERVICE_CONTEXT) private readonly ctx: ServiceContext,
    private readonly keys: RtmpKeysService,
    private readonly status: StreamStatusService,
  ) {}

  @Post('start')
  @HttpCode(200)
  @ApiOperation({ summary: 'Register and enable an RTMP stream key; returns its publish and play URLs' })
  @ApiBody({ type: StreamKeyDto, examples: { drone: { value: { stream_key: 'drone1' } } } })
  @ApiOkResponse({ schema: { example: {
    status: 'started', stream_key: 'drone1', rtmp_url: 'rtmp://gw:1935/live/drone1', rtsp_url: 'rtsp://gw:8554/drone1',
    publish_token: '<returned once>', publish_url: 'rtmp://gw:1935/live/drone1?token=<returned once>',
  } } })
  async start(@Body() body: unknown, @Req() req: Request): Promise<Record<string, unknown>> {
    const { stream_key } = parseBody(StreamKeyBody, body);
    const { token } = await this.keys.enable(stream_key);
    const host = publicHost(this.ctx.config, req.headers.host);
    const rtmp = rtmpUrl(this.ctx.config, host, stream_key);
    return {
      status: 'started',
      stream_key,
      rtmp_url: rtmp,
      rtsp_url: rtspUrl(this.ctx.config, host, stream_key),
      // The key's secret: publishing with ?token= needs no user. Shown once; /start again issues a new one.
      publish_token: token,
      publish_url: `${rtmp}?token=${token}`,
    };
  }

  @Post('stop')
  @HttpCode(200)
  @ApiOperation({ summary: 'Disconnect the publisher of a stream key and disable the key' })
  @ApiBody({ type: StreamKeyDto, examples: { drone: { value: { stream_key: 'drone1' } } } })
  @ApiOkResponse({ schema: { example: { status: 'stopped', stream_key: 'drone1', disconnected: true } } })
  async stop(@Body() body: unknown): Promise<Record<string, unknown>> {
    const { stream_key } = parseBody(StreamKeyBody, body);
    const { known, disconnected } = await this.keys.disable(stream_key);
    if (!known && !disconnected) throw new NotFoundException(`stream_key ${stream_key} is neither registered nor publishing`);
    return { status: 'stopped', stream_key, disconnected };
  }

  @Get('streams')
  @ApiOperation({ summary: 'List RTMP stream keys: registered and live, with URLs and counters' })
  @ApiOkResponse({ schema: { example: { total: 1, streams: [{ stream_key: 'drone1', active: true, enabled: true, rtsp_url: 'rtsp://gw:8554/drone1', readers: 2, bytes_received: 1048576, frames_received: 250, fps: 25, bitrate_kbps: 4000 }] } } })
  async list(@Req() req: Request): Promise<{ total: number; streams: Record<string, unknown>[] }> {
    const host = publicHost(this.ctx.config, req.headers.host);
    const keys = await this.keys.all();
    const statuses = (await this.status.all()).filter((s) => s.ingest?.source === 'rtmp');
    const names = new Set<string>([...keys.keys(), ...statuses.map((s) => s.name)]);
    const statusByName = new Map(statuses.map((st) => [st.name, st]));
    const streams = [...names].sort().map((name) => {
      const st = statusByName.get(name);
      const key = keys.get(name);
      // The same view /api/streams serves, narrowed to the converter's fields.
      const view = streamView(name, undefined, st, rtspUrl(this.ctx.config, host, name));
      return {
        stream_key: name,
        active: view.playing,
        enabled: key ? key.enabled : !this.ctx.config.RTMP_REQUIRE_KNOWN_KEYS,
        registered: key !== undefined,
        rtmp_url: rtmpUrl(this.ctx.config, host, name),
        rtsp_url: view.play_url,
        started_at: st?.ingest?.source === 'rtmp' ? st.ingest.started_at : null,
        bytes_received: view.bytes_received,
        packets_received: view.packets_received,
        frames_received: view.frames_received,
        last_frame_time: view.last_frame_time,
        fps: view.fps,
        bitrate_kbps: view.bitrate_kbps,
        tracks: view.tracks,
        readers: view.readers,
        bytes_sent: view.bytes_sent,
      };
    });
    return { total: streams.length, streams };
  }
}
