import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { REGISTRY_CHANGED_SUBJECT, REGISTRY_PREFIX, RegistryChanged, encodeJson } from '@streamgate/contracts';
import {
  ConfigFileReloader, JournaledStateStore, PERSISTED_PREFIXES, RegistryKeeper, RunningService, ServiceContext, openRegistryJournal, limitHttpServer,
} from '@streamgate/platform';
import { AppModule } from './app.module';
import { serveConsole } from './console/console-assets';
import { ApiErrorFilter } from './common/api-error.filter';
import { NestPinoLogger } from './common/nest-pino-logger';
import { allowedOrigins, hardenHttp } from './common/http-hardening';
import { ConfigLoaderService } from './streams/config-loader.service';
import { StreamsFileSubscriber } from './streams/streams-file';
import { StreamsService } from './streams/streams.service';

export interface RunningControlApi extends RunningService {
  readonly httpPort: number;
}

/**
 * With a shared store (Redis) the registry is also written to a durable journal, and a keeper
 * puts it back whenever the store comes back empty (docs/architecture.md, "Registry durability").
 */
async function keepRegistryDurable(shared: ServiceContext): Promise<{ ctx: ServiceContext; keeper?: RegistryKeeper }> {
  const journal = await openRegistryJournal(shared, PERSISTED_PREFIXES);
  if (!journal) return { ctx: shared };
  shared.logger.info({ journal: journal.kind }, 'registry journal open');
  const keeper = new RegistryKeeper({
    store: shared.store, journal, prefixes: PERSISTED_PREFIXES, logger: shared.logger,
    onRestored: (keys) => {
      // Ingest reconciles at once instead of at its next round.
      for (const key of keys.filter((k) => k.startsWith(REGISTRY_PREFIX))) {
        shared.bus.publish(REGISTRY_CHANGED_SUBJECT, encodeJson(RegistryChanged, { name: key.slice(REGISTRY_PREFIX.length), action: 'updated' }));
      }
    },
  });
  await keeper.start();
  return { ctx: { ...shared, store: new JournaledStateStore(shared.store, journal, PERSISTED_PREFIXES) }, keeper };
}

export async function startControlApi(shared: ServiceContext): Promise<RunningControlApi> {
  // The config file's reader is shared by every service of the process (ServiceContext); a
  // context made by hand gets its own.
  const configFile = shared.configFile ?? new ConfigFileReloader({
    path: shared.config.STREAMS_CONFIG ?? 'config.json', required: shared.config.STREAMS_CONFIG !== undefined, logger: shared.logger,
  });
  const { ctx, keeper } = await keepRegistryDurable(shared);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forContext(ctx), {
    logger: new NestPinoLogger(ctx.logger),
    bodyParser: false,
    // TLS_CERT_FILE/TLS_KEY_FILE: the API is HTTPS only, on the same port.
    httpsOptions: ctx.tls?.secureContextOptions,
  });
  hardenHttp(app, ctx.config, ctx.tls !== undefined);
  limitHttpServer(app.getHttpServer() as Server, {
    maxConnectionsPerAddress: ctx.config.API_MAX_CONNECTIONS_PER_ADDRESS,
    headersTimeoutMs: ctx.config.API_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: ctx.config.API_REQUEST_TIMEOUT_MS,
    onDropped: (reason, remote) => ctx.logger.info({ remote, reason }, 'API connection dropped'),
  });
  if (ctx.tls) ctx.tls.track(app.getHttpServer() as HttpsServer);
  // Bodies above the limit are refused with 413 before they are parsed.
  app.useBodyParser('json', { limit: ctx.config.API_MAX_BODY_BYTES, strict: false });
  if (ctx.config.CORS_ORIGINS) {
    const origins = allowedOrigins(ctx.config);
    app.enableCors({ origin: origins.includes('*') ? true : origins, allowedHeaders: ['Content-Type', 'Authorization', 'X-API-Key'] });
  }
  if (!serveConsole(app)) ctx.logger.warn('web console files missing (run the build): / serves nothing');
  app.useGlobalFilters(new ApiErrorFilter(ctx.logger));
  // No enableShutdownHooks: with no signals listed Nest listens to every signal and re-raises it
  // after app.close(), which killed the all-in-one mid-drain on SIGTERM. The process's own
  // handler (runServiceMain, the all-in-one's main) drains, then stop() closes the app.
  const doc = SwaggerModule.createDocument(app, new DocumentBuilder()
    .setTitle('streamgate control API')
    .setDescription('Streams pulled from RTSP cameras and pushed over RTMP, republished as RTSP.')
    .setVersion('1')
    .build());
  SwaggerModule.setup('api/docs', app, doc, { jsonDocumentUrl: 'api/openapi.json' });
  await app.init();
  const resealed = await app.get(StreamsService).resealAll();
  if (resealed > 0) ctx.logger.info({ entries: resealed }, 'camera credentials sealed again with the current SECRETS_KEY');
  // config.json's streams: loaded now (before the API listens), then on every reload.
  const unsubscribe = await configFile.subscribe(
    new StreamsFileSubscriber(app.get(ConfigLoaderService), app.get(StreamsService), ctx.logger, ctx.config.STREAMS_CREDENTIALS),
  ).catch(async (err: unknown) => {
    keeper?.stop();
    await app.close();
    throw err;
  });
  await app.listen(ctx.config.PORT, ctx.config.HOST);
  const server = app.getHttpServer() as Server;
  const httpPort = (server.address() as AddressInfo).port;
  ctx.logger.info({ port: httpPort, https: ctx.tls !== undefined }, 'control API listening');
  return {
    name: 'control-api',
    httpPort,
    stop: async () => {
      unsubscribe();
      keeper?.stop();
      await app.close();
      if (ctx.store !== shared.store) await ctx.store.close();
    },
  };
}
