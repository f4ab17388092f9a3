import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { NatsBus, RedisStateStore, ServiceContext, unwrapBus, unwrapStore } from '@streamgate/platform';
import { SERVICE_CONTEXT } from '../common/service-context.token';

@ApiTags('health')
@Controller('api')
export class HealthController {
  constructor(@Inject(SERVICE_CONTEXT) private readonly ctx: ServiceContext) {}

  @Get('health')
  @ApiOperation({ summary: 'Liveness, with the state of NATS and Redis when distributed (503 when one is down)' })
  @ApiResponse({ status: 200, schema: { example: { status: 'ok', message: 'streamgate is running', bus: 'in-process', store: 'memory+file' } } })
  @ApiResponse({ status: 503, schema: { example: { status: 'degraded', message: 'NATS unreachable', bus: 'nats', store: 'redis', nats: 'down', redis: 'up' } } })
  async health(@Res() res: Response): Promise<void> {
    const body: Record<string, unknown> = { status: 'ok', message: 'streamgate is running', bus: this.ctx.bus.driver, store: this.ctx.store.driver };
    const down: string[] = [];
    const bus = unwrapBus(this.ctx.bus);
    if (bus instanceof NatsBus) {
      body.nats = bus.isConnected ? 'up' : 'down';
      if (!bus.isConnected) down.push('NATS');
    }
    const store = unwrapStore(this.ctx.store);
    if (store instanceof RedisStateStore) {
      const up = await store.ping();
      body.redis = up ? 'up' : 'down';
      if (!up) down.push('Redis');
    }
    if (down.length > 0) {
      body.status = 'degraded';
      body.message = `${down.join(' and ')} unreachable`;
    }
    res.status(down.length > 0 ? 503 : 200).json(body);
  }
}
