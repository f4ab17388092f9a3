import {
  Body, Controller, Delete, Get, HttpCode, Inject, NotFoundException, Param, Post, Query, Req, Res,
} from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { isValidStreamName } from '@streamgate/contracts';
import type { ServiceContext } from '@streamgate/platform';
import { SERVICE_CONTEXT } from '../common/service-context.token';
import { parseBody } from '../common/zod-body';
import { FrameService } from '../frames/frame.service';
import { publicHost, rtspUrl } from '../rtmp-converter/public-urls';
import { StreamStatusService } from '../status/stream-status.service';
import { StreamBody, StreamBodyDto } from './stream-body';
import { streamView } from './stream-view';
import { StreamsService } from './streams.service';

const EXAMPLE_STREAM = {
  name: 'front_door', source: 'rtsp', enabled: true, connected: true, playing: true,
  rtsp_url: 'rtsp://***:***@192.168.1.64:554/Streaming/Channels/101', channel: null, subtype: null, transport: 'udp',
  play_url: 'rtsp://gw:8554/front_door', packets_received: 52311, frames_received: 7500, bytes_received: 48211200,
  packets_lost: 0, jitter: 0.4, fps: 25, bitrate_kbps: 2048, last_frame_time: 1763683200.52,
  tracks: [{ id: 0, media: 'video', codec: 'H264', profile: 'High', width: 1920, height: 1080 }],
  readers: 2, bytes_sent: 96422400, reconnects: 0, last_error: null, created_at: 1763680000,
};

/** Path parameter check: names that can never exist are 404 (not 400) so probing learns nothing. */
function checkName(name: string): string {
  if (!isValidStreamName(name)) throw new NotFoundException(`stream ${JSON.stringify(name.slice(0, 80))} not found`);
  return name;
}

@ApiTags('streams')
@Controller('api/streams')
export class StreamsController {
  constructor(
    @Inject(SERVICE_CONTEXT) private readonly ctx: ServiceContext,
    private readonly streams: StreamsService,
    private readonly status: StreamStatusService,
    private readonly frames: FrameService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'All streams: pulled RTSP cameras and pushed RTMP streams, with live status' })
  @ApiResponse({ status: 200, schema: { example: { total: 1, streams: [EXAMPLE_STREAM] } } })
  async list(@Req() req: Request): Promise<{ total: number; streams: Record<string, unknown>[] }> {
    const host = publicHost(this.ctx.config, req.headers.host);
    const configs = await this.streams.list();
    const statuses = await this.status.all();
    const names = new Set([...configs.map((c) => c.name), ...statuses.filter((s) => s.ingest).map((s) => s.name)]);
    const configByName = new Map(configs.map((c) => [c.name, c]));
    const statusByName = new Map(statuses.map((st) => [st.name, st]));
    const streams = [...names].sort().map((name) =>
      streamView(name, configByName.get(name), statusByName.get(name), rtspUrl(this.ctx.config, host, name)));
    return { total: streams.length, streams };
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Add a camera; enabled (default) starts pulling at once' })
  @ApiBody({ type: StreamBodyDto, examples: {
    hikvision: { value: { name: 'front_door', rtsp_url: 'rtsp://192.168.1.64:554/Streaming/Channels/101', username: 'admin', password: 'secret', enabled: true } },
    dahua: { value: { name: 'yard', rtsp_url: 'rtsp://192.168.1.108:554', channel: 1, subtype: 0, username: 'admin', password: 'secret' } },
    backup: { value: { name: 'gate', sources: ['rtsp://admin:secret@192.168.1.64/main', 'rtsp://192.168.1.65/main'], switch_back_after: 10 } },
    published_backup: { value: { name: 'mast', sources: ['rtsp://192.168.1.80/main', 'publish:mast_encoder'], switch_back_after: 10 } },
    on_demand: { value: { name: 'lobby', rtsp_url: 'rtsp://192.168.1.70/main', on_demand: true, on_demand_close_after: 10 } },
  } })
  @ApiResponse({ status: 201, schema: { example: EXAMPLE_STREAM } })
  @ApiResponse({ status: 400, description: 'a field is invalid; the message names it' })
  @ApiResponse({ status: 409, description: 'a stream with this name exists' })
  async create(@Body() body: unknown, @Req() req: Request): Promise<Record<string, unknown>> {
    const { config } = await this.streams.save(parseBody(StreamBody, body), false);
    return this.view(config.name, req);
  }

  @Get(':name')
  @ApiOperation({ summary: 'Status of one stream, with last_frame_time (Unix seconds) and play_url' })
  @ApiParam({ name: 'name', example: 'front_door' })
  @ApiResponse({ status: 200, schema: { example: EXAMPLE_STREAM } })
  @ApiResponse({ status: 404 })
  async get(@Param('name') name: string, @Req() req: Request): Promise<Record<string, unknown>> {
    return this.view(checkName(name), req);
  }

  @Post(':name/start')
  @HttpCode(200)
  @ApiOperation({ summary: 'Start pulling the camera' })
  @ApiParam({ name: 'name', example: 'front_door' })
  @ApiResponse({ status: 200, schema: { example: { status: 'started', name: 'front_door' } } })
  async start(@Param('name') name: string): Promise<Record<string, unknown>> {
    await this.streams.setEnabled(checkName(name), true);
    return { status: 'started', name };
  }

  @Post(':name/stop')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop pulling the camera (TEARDOWN); the entry stays' })
  @ApiParam({ name: 'name', example: 'front_door' })
  @ApiResponse({ status: 200, schema: { example: { status: 'stopped', name: 'front_door' } } })
  async stop(@Param('name') name: string): Promise<Record<string, unknown>> {
    await this.streams.setEnabled(checkName(name), false);
    return { status: 'stopped', name };
  }

  @Delete(':name')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop and remove the camera' })
  @ApiParam({ name: 'name', example: 'front_door' })
  @ApiResponse({ status: 200, schema: { example: { status: 'deleted', name: 'front_door' } } })
  async remove(@Param('name') name: string): Promise<Record<string, unknown>> {
    await this.streams.remove(checkName(name));
    return { status: 'deleted', name };
  }

  @Get(':name/frame')
  @ApiOperation({
    summary: 'A frame that decodes alone: the latest keyframe with its parameter sets (Annex B); ?latest=true the raw latest access unit; ?format=jpeg the latest picture (decoded from the latest keyframe through the latest unit). X-Frame-Age-Ms says how old it is.',
  })
  @ApiParam({ name: 'name', example: 'front_door' })
  @ApiQuery({ name: 'format', required: false, enum: ['h264', 'jpeg'] })
  @ApiQuery({ name: 'latest', required: false, enum: ['true', 'false'], description: 'the latest access unit (often a P-frame, which does not decode alone) instead of the latest keyframe' })
  @ApiResponse({ status: 200, content: { 'video/h264': {}, 'image/jpeg': {} } })
  @ApiResponse({ status: 404, description: 'unknown stream' })
  @ApiResponse({ status: 409, description: 'no frame yet' })
  async frame(
    @Param('name') name: string, @Query('format') format: string | undefined, @Query('latest') latest: string | undefined, @Res() res: Response,
  ): Promise<void> {
    checkName(name);
    if (format !== undefined && format !== 'h264' && format !== 'jpeg') {
      res.status(400).json({ statusCode: 400, error: 'BAD_REQUEST', message: 'format must be h264 or jpeg' });
      return;
    }
    if (latest !== undefined && latest !== 'true' && latest !== 'false') {
      res.status(400).json({ statusCode: 400, error: 'BAD_REQUEST', message: 'latest must be true or false' });
      return;
    }
    if (!(await this.streams.get(name)) && !(await this.status.one(name))) throw new NotFoundException(`stream ${name} not found`);
    if (format === 'jpeg') {
      const { jpeg, receivedAt } = await this.frames.jpeg(name);
      res.status(200).type('image/jpeg')
        .setHeader('X-Frame-Time', String(receivedAt / 1000))
        .setHeader('X-Frame-Age-Ms', String(Math.max(0, Math.round(Date.now() - receivedAt))))
        .send(jpeg);
      return;
    }
    // By default what decodes alone (ffprobe, a viewer): the latest keyframe with parameter sets.
    const frame = await this.frames.latest(name, latest !== 'true');
    res.status(200)
      .type(frame.codec === 'h264' ? 'video/h264' : 'video/h265')
      .setHeader('X-Keyframe', String(frame.keyframe))
      .setHeader('X-Frame-Time', String(frame.receivedAt / 1000))
      .setHeader('X-Frame-Age-Ms', String(Math.max(0, Math.round(Date.now() - frame.receivedAt))))
      .send(Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength));
  }

  private async view(name: string, req: Request): Promise<Record<string, unknown>> {
    const config = await this.streams.get(name);
    const parts = await this.status.one(name);
    if (!config && !parts?.ingest) throw new NotFoundException(`stream ${name} not found`);
    return streamView(name, config, parts, rtspUrl(this.ctx.config, publicHost(this.ctx.config, req.headers.host), name));
  }
}
