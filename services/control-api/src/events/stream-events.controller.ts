import { Controller, Inject, MessageEvent, NotFoundException, Param, Req, Sse } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Observable } from 'rxjs';
import { isValidStreamName } from '@streamgate/contracts';
import type { ServiceContext } from '@streamgate/platform';
import { SERVICE_CONTEXT } from '../common/service-context.token';
import { publicHost, rtspUrl } from '../rtmp-converter/public-urls';
import { StreamStatusService } from '../status/stream-status.service';
import { StreamsService } from '../streams/streams.service';
import { streamView } from '../streams/stream-view';

/** How often the live status is compared for changes. */
const POLL_MS = 500;
/** The fields whose change is worth an event (counters change every second and are not). */
const WATCHED = ['connected', 'playing', 'enabled', 'readers', 'last_error', 'transport', 'reconnects'] as const;

@ApiTags('streams')
@Controller('api/streams')
export class StreamEventsController {
  constructor(
    @Inject(SERVICE_CONTEXT) private readonly ctx: ServiceContext,
    private readonly streams: StreamsService,
    private readonly status: StreamStatusService,
  ) {}

  /**
   * Server-Sent Events: a `status` event with the whole stream at once, then one each time a
   * watched field changes; `removed` when the stream goes away.
   */
  @Sse(':name/events')
  @ApiOperation({ summary: 'Live status changes (connected, playing, errors, readers) as Server-Sent Events' })
  @ApiParam({ name: 'name', example: 'front_door' })
  async events(@Param('name') name: string, @Req() req: Request): Promise<Observable<MessageEvent>> {
    if (!isValidStreamName(name)) throw new NotFoundException(`stream ${JSON.stringify(name.slice(0, 80))} not found`);
    const playUrl = rtspUrl(this.ctx.config, publicHost(this.ctx.config, req.headers.host), name);
    const snapshot = async (): Promise<Record<string, unknown> | undefined> => {
      const config = await this.streams.get(name);
      const parts = await this.status.one(name);
      return config || parts?.ingest ? streamView(name, config, parts, playUrl) : undefined;
    };
    if (!(await snapshot())) throw new NotFoundException(`stream ${name} not found`);
    return new Observable<MessageEvent>((subscriber) => {
      let last = '';
      let stopped = false;
      const tick = async (): Promise<void> => {
        const view = await snapshot();
        if (stopped) return;
        if (!view) {
          subscriber.next({ type: 'removed', data: { name } });
          subscriber.complete();
          return;
        }
        const key = JSON.stringify(WATCHED.map((f) => view[f]));
        if (key !== last) {
          last = key;
          subscriber.next({ type: 'status', data: view });
        }
      };
      const timer = setInterval(() => {
        tick().catch((err: unknown) => this.ctx.logger.warn({ err, stream: name }, 'status event poll failed'));
      }, POLL_MS);
      void tick();
      return () => {
        stopped = true;
        clearInterval(timer);
      };
    });
  }
}
