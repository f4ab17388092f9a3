import type { ConditionalOptions, SetOptions, StateStore, StoreEntry } from '../store/state-store';
import type { RegistryJournal } from './registry-journal';

/**
 * The store the control API writes the registry through: a write under a durable prefix goes
 * to the journal first, then to the shared store, so whatever the store shows was already
 * durable. Every other key (status, leases) passes straight through.
 */
export class JournaledStateStore implements StateStore {
  readonly driver: string;

  constructor(readonly inner: StateStore, readonly journal: RegistryJournal, private readonly prefixes: readonly string[]) {
    // The driver the API reports stays the shared store's (`redis`); the journal is logged at start.
    this.driver = inner.driver;
  }

  private durable(key: string, options?: SetOptions): boolean {
    return !options?.ttlMs && this.prefixes.some((p) => key.startsWith(p));
  }

  get(key: string): Promise<string | undefined> {
    return this.inner.get(key);
  }

  async set(key: string, value: string, options?: SetOptions): Promise<boolean> {
    if (!this.durable(key, options)) return this.inner.set(key, value, options);
    if (options?.onlyIfAbsent && (await this.inner.get(key)) !== undefined) return false;
    await this.journal.put(key, value);
    return this.inner.set(key, value, options);
  }

  async delete(key: string, options?: ConditionalOptions): Promise<boolean> {
    if (!this.durable(key)) return this.inner.delete(key, options);
    if (options?.ifValue !== undefined && (await this.inner.get(key)) !== options.ifValue) return false;
    await this.journal.delete(key);
    return this.inner.delete(key, options);
  }

  expire(key: string, ttlMs: number, options?: ConditionalOptions): Promise<boolean> {
    return this.inner.expire(key, ttlMs, options);
  }

  list(prefix: string): Promise<StoreEntry[]> {
    return this.inner.list(prefix);
  }

  async close(): Promise<void> {
    await this.journal.close();
  }
}

/** The shared store under a journaled wrapper (for health checks that ping Redis). */
export function unwrapStore(store: StateStore): StateStore {
  return store instanceof JournaledStateStore ? unwrapStore(store.inner) : store;
}
