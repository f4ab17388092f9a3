import { INestMicroservice, Provider, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { BusTransport } from './bus-transport';

export interface BusMicroserviceModule {
  /** Classes with @MessagePattern / @EventPattern handlers. */
  controllers: Type[];
  /** What the controllers inject: usually the running service, as `{ provide, useValue }`. */
  providers?: Provider[];
}

/**
 * A service's control plane as a Nest microservice on the bus transport: builds the app from
 * the controllers and providers, listens (subscribing every pattern that is not on-demand),
 * and returns it; `app.close()` unsubscribes. Nest's own logger stays off: services log
 * through the context's logger.
 */
export async function listenBusMicroservice(transport: BusTransport, module: BusMicroserviceModule): Promise<INestMicroservice> {
  class BusControlModule {}
  const app = await NestFactory.createMicroservice(
    { module: BusControlModule, controllers: module.controllers, providers: module.providers ?? [] },
    { strategy: transport, logger: false },
  );
  await app.listen();
  return app;
}
