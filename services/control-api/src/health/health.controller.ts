import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ServiceContext } from '@streamgate/platform';
import { SERVICE_CONTEXT } from '../common/service-context.token';

@ApiTags('health')
@Controller('api')
export class HealthController {
  constructor(@Inject(SERVICE_CONTEXT) private readonly ctx: ServiceContext) {}

  @Get('health')
  @ApiOperation({ summary: 'Liveness and the state of the bus and store' })
  @ApiOkResponse({ schema: { example: { status: 'ok', message: 'streamgate is running', bus: 'in-process', store: 'memory' } } })
  health(): Record<string, unknown> {
    return { status: 'ok', message: 'streamgate is running', bus: this.ctx.bus.driver, store: this.ctx.store.driver };
  }
}
