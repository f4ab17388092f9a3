import { DynamicModule, Module } from '@nestjs/common';
import type { ServiceContext } from '@streamgate/platform';
import { SERVICE_CONTEXT } from './common/service-context.token';
import { HealthController } from './health/health.controller';
import { RtmpConverterController } from './rtmp-converter/rtmp-converter.controller';
import { RtmpKeysService } from './rtmp-converter/rtmp-keys.service';
import { StreamStatusService } from './status/stream-status.service';

@Module({})
export class AppModule {
  static forContext(ctx: ServiceContext): DynamicModule {
    return {
      module: AppModule,
      controllers: [HealthController, RtmpConverterController],
      providers: [{ provide: SERVICE_CONTEXT, useValue: ctx }, StreamStatusService, RtmpKeysService],
    };
  }
}
