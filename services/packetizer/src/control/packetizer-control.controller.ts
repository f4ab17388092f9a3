import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern } from '@nestjs/microservices';
import { Subjects } from '@streamgate/contracts';
import { BusContext } from '@streamgate/platform/nest';
import { PacketizerService } from '../packetizer-service';

/** Per-stream subjects: the service attaches the ones it handles (all of them, or its leases). */
const ON_DEMAND = { attach: 'on-demand' } as const;

/**
 * The packetizer's control plane as Nest message patterns (subjects from contracts):
 * describe, GOP and latest frame. Each hands the request to the service's existing handler,
 * which replies through the message (a describe may answer later, once sequence headers arrive).
 */
@Controller()
export class PacketizerControlController {
  constructor(@Inject(PacketizerService) private readonly packetizer: PacketizerService) {}

  @MessagePattern(Subjects.allDescribe, ON_DEMAND)
  describe(@Ctx() ctx: BusContext): undefined {
    this.packetizer.answer('describe', ctx.getMessage());
    return undefined;
  }

  @MessagePattern(Subjects.allGop, ON_DEMAND)
  gop(@Ctx() ctx: BusContext): undefined {
    this.packetizer.answer('gop', ctx.getMessage());
    return undefined;
  }

  @MessagePattern(Subjects.allLatestFrame, ON_DEMAND)
  latestFrame(@Ctx() ctx: BusContext): undefined {
    this.packetizer.answer('frame', ctx.getMessage());
    return undefined;
  }
}
