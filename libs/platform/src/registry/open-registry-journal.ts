import { join } from 'node:path';
import { NatsBus } from '../bus/nats-bus';
import { unwrapBus } from '../observability/tracing-bus';
import type { ServiceContext } from '../runtime/service';
import { FileRegistryJournal, RegistryJournal } from './registry-journal';
import { JetStreamRegistryJournal } from './jetstream-registry-journal';

/**
 * The registry's durable copy for this deployment (docs/architecture.md, "Registry
 * durability"): none when the store is itself the durable file (embedded mode); a JetStream KV
 * bucket when the bus is NATS with JetStream; otherwise a file in DATA_DIR (mount a
 * PersistentVolume there).
 */
export async function openRegistryJournal(ctx: ServiceContext, prefixes: readonly string[]): Promise<RegistryJournal | undefined> {
  if (ctx.store.driver === 'memory+file' || ctx.store.driver === 'memory') return undefined;
  const bus = unwrapBus(ctx.bus);
  if (bus instanceof NatsBus) {
    try {
      return await JetStreamRegistryJournal.open(bus.connection);
    } catch (err) {
      ctx.logger.warn({ err: err instanceof Error ? err.message : String(err) },
        'NATS has no JetStream: the registry journal falls back to a file in DATA_DIR (enable JetStream, or mount a volume there)');
    }
  }
  return new FileRegistryJournal(join(ctx.config.DATA_DIR, 'registry-journal.json'), prefixes);
}
