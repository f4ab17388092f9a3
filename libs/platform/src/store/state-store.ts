/**
 * Shared state: the stream registry, live status and ownership leases. Two drivers: memory
 * (one process; the registry can persist to a file) and Redis (distributed). Values are
 * strings (JSON by convention); keys are `/`-separated, e.g. `status/<stream>/ingest`.
 *
 * The operations are the ones Redis does atomically, so leases behave the same on both:
 * `set` with `onlyIfAbsent` is `SET NX PX`; `delete`/`expire` with `ifValue` are
 * compare-and-delete / compare-and-renew.
 */
export interface SetOptions {
  /** Expire the key after this many milliseconds. */
  ttlMs?: number;
  /** Only set when the key does not exist (SET NX). */
  onlyIfAbsent?: boolean;
}

export interface ConditionalOptions {
  /** Only act when the current value equals this. */
  ifValue?: string;
}

export interface StoreEntry {
  key: string;
  value: string;
}

export interface StateStore {
  readonly driver: string;
  get(key: string): Promise<string | undefined>;
  /** Returns false when `onlyIfAbsent` was given and the key existed. */
  set(key: string, value: string, options?: SetOptions): Promise<boolean>;
  delete(key: string, options?: ConditionalOptions): Promise<boolean>;
  /** Sets a new TTL; false when the key is missing or `ifValue` does not match. */
  expire(key: string, ttlMs: number, options?: ConditionalOptions): Promise<boolean>;
  /** All live entries whose key starts with `prefix`. */
  list(prefix: string): Promise<StoreEntry[]>;
  close(): Promise<void>;
}
