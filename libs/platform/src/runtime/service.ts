import type { Bus } from '../bus/bus';
import type { GatewayConfig } from '../config/config';
import type { Logger } from '../logging/logger';
import type { StateStore } from '../store/state-store';
import type { MetricsCatalog } from '../metrics/catalog';

/** What every service is started with. The all-in-one builds one and gives it to all four. */
export interface ServiceContext {
  bus: Bus;
  store: StateStore;
  config: GatewayConfig;
  logger: Logger;
  /** The process's one metrics registry and every metric in it (bounded labels). */
  metrics: MetricsCatalog;
}

export interface RunningService {
  readonly name: string;
  /** Stops accepting, releases what it holds, resolves when done. */
  stop(): Promise<void>;
}

export type ServiceFactory = (ctx: ServiceContext) => Promise<RunningService>;
