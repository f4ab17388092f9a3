import { REGISTRY_ASSERTED_KEY } from '@streamgate/contracts';
import type { Logger } from '../logging/logger';
import type { StateStore, StoreEntry } from '../store/state-store';
import type { RegistryJournal } from './registry-journal';

export interface RegistryKeeperOptions {
  /** The shared store (Redis), not the journaled wrapper. */
  store: StateStore;
  journal: RegistryJournal;
  /** Key prefixes that make up the registry (PERSISTED_PREFIXES). */
  prefixes: readonly string[];
  logger: Logger;
  /** How often the store is checked for lost data (one GET). Default 500 ms. */
  checkMs?: number;
  /** Keys written back into the store by a re-assertion (to announce the change). */
  onRestored?: (keys: string[]) => void;
}

/**
 * Keeps the registry in the shared store equal to its durable copy (the journal). At start
 * and whenever the store has lost `registry/asserted` (restarted without data, flushed,
 * failed over to an empty replica), every journal entry the store lacks is written back,
 * then the marker. This is the one place that re-asserts the registry: a config reload that
 * changed the journal can call `reassert()` too.
 *
 * The journal wins for keys it has. Keys only the store has (written by a gateway version
 * without a journal) are copied into the journal, never deleted.
 */
export class RegistryKeeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  /** Re-assertions after the first (the store lost its data that many times). */
  restorations = 0;

  constructor(private readonly options: RegistryKeeperOptions) {}

  async start(): Promise<void> {
    await this.reassert('start');
    this.timer = setInterval(() => void this.check(), this.options.checkMs ?? 500);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One check: re-asserts when the marker is gone. Store errors wait for the next check. */
  async check(): Promise<void> {
    try {
      if ((await this.options.store.get(REGISTRY_ASSERTED_KEY)) !== undefined) return;
      const restored = await this.reassert('store lost the registry');
      this.restorations++;
      this.options.logger.warn({ restored }, 'registry re-asserted into an empty store from its durable copy');
    } catch (err) {
      this.options.logger.debug({ err: err instanceof Error ? err.message : String(err) }, 'registry check failed; retrying');
    }
  }

  /** Writes every journal entry the store lacks or holds differently; returns how many. */
  reassert(why: string): Promise<number> {
    this.running ??= this.sync(why).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async storeEntries(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const p of this.options.prefixes) for (const e of await this.options.store.list(p)) out.set(e.key, e.value);
    return out;
  }

  private async sync(why: string): Promise<number> {
    const { store, journal } = this.options;
    const durable: StoreEntry[] = (await journal.entries()).filter((e) => this.options.prefixes.some((p) => e.key.startsWith(p)));
    const inJournal = new Set(durable.map((e) => e.key));
    const restored: string[] = [];
    // Twice at most: a store that lost its data again while we wrote is caught by the re-list.
    for (let pass = 0; pass < 2; pass++) {
      const current = await this.storeEntries();
      for (const [key, value] of current) {
        if (!inJournal.has(key)) {
          await journal.put(key, value);
          inJournal.add(key);
        }
      }
      const missing = durable.filter((e) => current.get(e.key) !== e.value);
      for (const e of missing) await store.set(e.key, e.value);
      restored.push(...missing.map((e) => e.key));
      await store.set(REGISTRY_ASSERTED_KEY, JSON.stringify({ at: Date.now(), why }));
      const after = await this.storeEntries();
      if (durable.every((e) => after.has(e.key))) break;
    }
    if (restored.length > 0) this.options.onRestored?.([...new Set(restored)]);
    return new Set(restored).size;
  }
}
