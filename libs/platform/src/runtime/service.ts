import type { Bus } from '../bus/bus';
import type { GatewayConfig } from '../config/config';
import type { Logger } from '../logging/logger';
import type { StateStore } from '../store/state-store';

/** What every service is started with. The all-in-one builds one and gives it to all four. */
export interface ServiceContext {
  bus: Bus;
  store: StateStore;
  config: GatewayConfig;
  logger: Logger;
}

export interface RunningService {
  readonly name: string;
  /** Stops accepting, releases what it holds, resolves when done. */
  stop(): Promise<void>;
}

export type ServiceFactory = (ctx: ServiceContext) => Promise<RunningService>;
