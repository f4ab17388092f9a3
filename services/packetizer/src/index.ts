import type { RunningService, ServiceContext } from '@streamgate/platform';
import { BusTransport, listenBusMicroservice } from '@streamgate/platform/nest';
import { PacketizerControlController } from './control/packetizer-control.controller';
import { PacketizerOptions, PacketizerService } from './packetizer-service';

export { PacketizerService } from './packetizer-service';
export type { PacketizerOptions } from './packetizer-service';
export { SourcePipeline } from './pipeline/source-pipeline';

export interface RunningPacketizer extends RunningService {
  readonly service: PacketizerService;
}

/**
 * The packetizer as a Nest microservice: its control plane (describe, GOP, latest frame) runs
 * as message patterns on the bus transport; media stays on raw bus subscriptions.
 */
export async function startPacketizer(ctx: ServiceContext, options: PacketizerOptions = {}): Promise<RunningPacketizer> {
  const transport = new BusTransport(ctx.bus, ctx.logger);
  const service = new PacketizerService(ctx, { control: transport, ...options });
  const app = await listenBusMicroservice(transport, {
    controllers: [PacketizerControlController],
    providers: [{ provide: PacketizerService, useValue: service }],
  });
  try {
    await service.start();
  } catch (err) {
    await app.close();
    throw err;
  }
  return {
    name: 'packetizer',
    service,
    stop: async () => {
      await service.stop();
      await app.close();
    },
  };
}
