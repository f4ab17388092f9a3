import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import type { ServiceContext } from '@streamgate/platform';
import { ApiKeyGuard } from './auth/api-key.guard';
import { SERVICE_CONTEXT } from './common/service-context.token';
import { ObserveInterceptor } from './common/observe.interceptor';
import { StreamEventsController } from './events/stream-events.controller';
import { FrameService } from './frames/frame.service';
import { HealthController } from './health/health.controller';
import { RtmpConverterController } from './rtmp-converter/rtmp-converter.controller';
import { RtmpKeysService } from './rtmp-converter/rtmp-keys.service';
import { StreamStatusService } from './status/stream-status.service';
import { ConfigLoaderService } from './streams/config-loader.service';
import { ConfigStreamsController } from './streams/config-streams.controller';
import { StreamsController } from './streams/streams.controller';
import { StreamsService } from './streams/streams.service';

@Module({})
export class AppModule {
  static forContext(ctx: ServiceContext): DynamicModule {
    return {
      module: AppModule,
      controllers: [HealthController, StreamEventsController, StreamsController, ConfigStreamsController, RtmpConverterController],
      providers: [
        { provide: SERVICE_CONTEXT, useValue: ctx },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_INTERCEPTOR, useClass: ObserveInterceptor },
        StreamStatusService, RtmpKeysService, StreamsService, FrameService, ConfigLoaderService,
      ],
    };
  }
}
