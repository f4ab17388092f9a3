import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { RunningService, ServiceContext } from '@streamgate/platform';
import { AppModule } from './app.module';
import { ApiErrorFilter } from './common/api-error.filter';
import { NestPinoLogger } from './common/nest-pino-logger';
import { ConfigLoaderService } from './streams/config-loader.service';
import { readStreamsConfig } from './streams/boot-config';

export interface RunningControlApi extends RunningService {
  readonly httpPort: number;
}

export async function startControlApi(ctx: ServiceContext): Promise<RunningControlApi> {
  const bootStreams = readStreamsConfig(ctx.config.STREAMS_CONFIG, ctx.config.STREAMS_CREDENTIALS);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forContext(ctx), {
    logger: new NestPinoLogger(ctx.logger),
    bodyParser: false,
  });
  // Bodies above the limit are refused with 413 before they are parsed.
  app.useBodyParser('json', { limit: ctx.config.API_MAX_BODY_BYTES, strict: false });
  if (ctx.config.CORS_ORIGINS) {
    const origins = ctx.config.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean);
    app.enableCors({ origin: origins.includes('*') ? true : origins, allowedHeaders: ['Content-Type', 'Authorization', 'X-API-Key'] });
  }
  app.useGlobalFilters(new ApiErrorFilter(ctx.logger));
  app.enableShutdownHooks([]);
  const doc = SwaggerModule.createDocument(app, new DocumentBuilder()
    .setTitle('streamgate control API')
    .setDescription('Streams pulled from RTSP cameras and pushed over RTMP, republished as RTSP.')
    .setVersion('1')
    .build());
  SwaggerModule.setup('api/docs', app, doc, { jsonDocumentUrl: 'api/openapi.json' });
  await app.init();
  if (bootStreams) {
    const results = await app.get(ConfigLoaderService).load(bootStreams.streams);
    for (const r of results.filter((x) => x.status === 'failed')) {
      ctx.logger.warn({ stream: r.name, reason: r.reason, file: bootStreams.path }, 'stream in the config file was not loaded');
    }
    ctx.logger.info({ file: bootStreams.path, loaded: results.filter((x) => x.status !== 'failed').length }, 'streams config loaded');
  }
  await app.listen(ctx.config.PORT, ctx.config.HOST);
  const server = app.getHttpServer() as Server;
  const httpPort = (server.address() as AddressInfo).port;
  ctx.logger.info({ port: httpPort }, 'control API listening');
  return {
    name: 'control-api',
    httpPort,
    stop: async () => {
      await app.close();
    },
  };
}
