import type { KV, NatsConnection } from 'nats';
import type { StoreEntry } from '../store/state-store';
import type { RegistryJournal } from './registry-journal';

/** Default bucket; one per gateway installation sharing a NATS server. */
export const REGISTRY_BUCKET = 'streamgate_registry';

const decoder = new TextDecoder();

/**
 * The registry journal in a NATS JetStream key-value bucket (file storage, one value per key):
 * shared by every control API replica, durable on the NATS server's volume, and independent of
 * Redis. Our store keys (`streams/cam1`) are valid KV keys as they are.
 */
export class JetStreamRegistryJournal implements RegistryJournal {
  readonly kind = 'jetstream';

  private constructor(private readonly kv: KV) {}

  /** Opens (creating when missing) the bucket; rejects when the server has no JetStream. */
  static async open(nc: NatsConnection, bucket = REGISTRY_BUCKET, timeoutMs = 5000): Promise<JetStreamRegistryJournal> {
    const kv = await nc.jetstream({ timeout: timeoutMs }).views.kv(bucket, { history: 1, timeout: timeoutMs });
    return new JetStreamRegistryJournal(kv);
  }

  async entries(): Promise<StoreEntry[]> {
    const keys: string[] = [];
    for await (const k of await this.kv.keys()) keys.push(k);
    const out: StoreEntry[] = [];
    for (const key of keys.sort()) {
      const e = await this.kv.get(key);
      if (e && e.operation === 'PUT') out.push({ key, value: decoder.decode(e.value) });
    }
    return out;
  }

  async put(key: string, value: string): Promise<void> {
    await this.kv.put(key, value);
  }

  async delete(key: string): Promise<void> {
    // Purge, not a soft delete: no old value (with its credentials) stays in the bucket.
    await this.kv.purge(key);
  }

  async close(): Promise<void> {
    /* the bus owns the connection */
  }
}
