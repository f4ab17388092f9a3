import { FileBackedStateStore } from '../store/file-store';
import type { StoreEntry } from '../store/state-store';

/**
 * The durable copy of the registry (cameras `streams/*`, RTMP keys `rtmp-keys/*`) that the
 * control API keeps beside the shared store, so a store that comes back empty is filled again
 * (docs/architecture.md, "Registry durability"). Values are the exact strings the store holds.
 */
export interface RegistryJournal {
  /** `jetstream` (NATS KV bucket) or `file` (a JSON file, e.g. on a PersistentVolume). */
  readonly kind: 'jetstream' | 'file';
  entries(): Promise<StoreEntry[]>;
  put(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

/** The journal as one JSON file, written atomically on every change (the embedded store's format). */
export class FileRegistryJournal implements RegistryJournal {
  readonly kind = 'file';
  private readonly file: FileBackedStateStore;

  constructor(readonly path: string, prefixes: readonly string[]) {
    this.file = new FileBackedStateStore(path, prefixes);
  }

  entries(): Promise<StoreEntry[]> {
    return this.file.list('');
  }

  async put(key: string, value: string): Promise<void> {
    await this.file.set(key, value);
  }

  async delete(key: string): Promise<void> {
    await this.file.delete(key);
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
