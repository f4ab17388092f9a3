import type { RunningService, ServiceContext } from '@streamgate/platform';
import { PacketizerOptions, PacketizerService } from './packetizer-service';

export { PacketizerService } from './packetizer-service';
export type { PacketizerOptions } from './packetizer-service';
export { FlvStreamProcessor } from './flv/flv-stream-processor';
export { RtpStreamProcessor } from './rtp/rtp-stream-processor';

export interface RunningPacketizer extends RunningService {
  readonly service: PacketizerService;
}

export async function startPacketizer(ctx: ServiceContext, options: PacketizerOptions = {}): Promise<RunningPacketizer> {
  const service = new PacketizerService(ctx, options);
  await service.start();
  return { name: 'packetizer', service, stop: () => service.stop() };
}
