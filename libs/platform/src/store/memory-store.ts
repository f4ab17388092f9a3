import { ConditionalOptions, SetOptions, StateStore, StoreEntry } from './state-store';

interface Slot {
  value: string;
  expiresAt: number;
}

/** Memory driver of the state store; expiry is checked on access (no timers). */
export class MemoryStateStore implements StateStore {
  readonly driver: string = 'memory';
  protected readonly slots = new Map<string, Slot>();

  constructor(private readonly now: () => number = Date.now) {}

  async get(key: string): Promise<string | undefined> {
    return this.live(key)?.value;
  }

  async set(key: string, value: string, options: SetOptions = {}): Promise<boolean> {
    if (options.onlyIfAbsent && this.live(key)) return false;
    this.slots.set(key, { value, expiresAt: options.ttlMs ? this.now() + options.ttlMs : Infinity });
    this.changed(key);
    return true;
  }

  async delete(key: string, options: ConditionalOptions = {}): Promise<boolean> {
    const slot = this.live(key);
    if (!slot) return false;
    if (options.ifValue !== undefined && slot.value !== options.ifValue) return false;
    this.slots.delete(key);
    this.changed(key);
    return true;
  }

  async expire(key: string, ttlMs: number, options: ConditionalOptions = {}): Promise<boolean> {
    const slot = this.live(key);
    if (!slot) return false;
    if (options.ifValue !== undefined && slot.value !== options.ifValue) return false;
    slot.expiresAt = this.now() + ttlMs;
    return true;
  }

  async list(prefix: string): Promise<StoreEntry[]> {
    const out: StoreEntry[] = [];
    for (const key of [...this.slots.keys()]) {
      if (!key.startsWith(prefix)) continue;
      const slot = this.live(key);
      if (slot) out.push({ key, value: slot.value });
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async close(): Promise<void> {
    /* nothing held open */
  }

  /** Hook for subclasses that persist (the file-backed registry). */
  protected changed(_key: string): void {
    /* memory only */
  }

  private live(key: string): Slot | undefined {
    const slot = this.slots.get(key);
    if (!slot) return undefined;
    if (slot.expiresAt <= this.now()) {
      this.slots.delete(key);
      return undefined;
    }
    return slot;
  }
}
