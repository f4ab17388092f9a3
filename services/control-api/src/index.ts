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

export interface RunningControlApi extends RunningService {
  readonly httpPort: number;
}

/** Request bodies above this are refused with 413 before they are parsed. */
export const MAX_BODY_BYTES = 1024 * 1024;

export async function startControlApi(ctx: ServiceContext): Promise<RunningControlApi> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forContext(ctx), {
    logger: new NestPinoLogger(ctx.logger),
    bodyParser: false,
  });
  app.useBodyParser('json', { limit: MAX_BODY_BYTES, strict: false });
  app.useGlobalFilters(new ApiErrorFilter(ctx.logger));
  app.enableShutdownHooks([]);
  const doc = SwaggerModule.createDocument(app, new DocumentBuilder()
    .setTitle('streamgate control API')
    .setDescription('Streams pulled from RTSP cameras and pushed over RTMP, republished as RTSP.')
    .setVersion('1')
    .build());
  SwaggerModule.setup('api/docs', app, doc, { jsonDocumentUrl: 'api/openapi.json' });
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
