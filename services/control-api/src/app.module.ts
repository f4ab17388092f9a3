import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import type { ServiceContext } from '@streamgate/platform';
import { BusClientProxy } from '@streamgate/platform/nest';
import { AccessGuard } from './auth/access.guard';
import { SERVICE_CONTEXT } from './common/service-context.token';
import { CONTROL_CLIENT, CONTROL_REQUEST_TIMEOUT_MS } from './common/control-client.token';
import { ObserveInterceptor } from './common/observe.interceptor';
import { ConsoleController } from './console/console.controller';
import { StreamEventsController } from './events/stream-events.controller';
import { FrameService } from './frames/frame.service';
import { HealthController } from './health/health.controller';
import { RtmpConverterController } from './rtmp-converter/rtmp-converter.controller';
import { RtmpKeysService } from './rtmp-converter/rtmp-keys.service';
import { SessionController } from './session/session.controller';
import { StreamStatusService } from './status/stream-status.service';
import { StreamsByStateGauge } from './status/streams-by-state';
import { ConfigLoaderService } from './streams/config-loader.service';
import { ConfigStreamsController } from './streams/config-streams.controller';
import { StreamsController } from './streams/streams.controller';
import { StreamsService } from './streams/streams.service';

@Module({})
export class AppModule {
  static forContext(ctx: ServiceContext): DynamicModule {
    return {
      module: AppModule,
      controllers: [HealthController, ConsoleController, SessionController, StreamEventsController, StreamsController, ConfigStreamsController, RtmpConverterController],
      providers: [
        { provide: SERVICE_CONTEXT, useValue: ctx },
        { provide: CONTROL_CLIENT, useValue: new BusClientProxy(ctx.bus, { timeoutMs: CONTROL_REQUEST_TIMEOUT_MS }) },
        { provide: APP_GUARD, useClass: AccessGuard },
        { provide: APP_INTERCEPTOR, useClass: ObserveInterceptor },
        StreamStatusService, RtmpKeysService, StreamsService, FrameService, ConfigLoaderService, StreamsByStateGauge,
      ],
    };
  }
}
