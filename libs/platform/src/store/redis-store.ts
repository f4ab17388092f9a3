import type Redis from 'ioredis';

/**
 * ioredis, loaded with the first store that needs it: a gateway without REDIS_URL (the
 * all-in-one) never loads it (≈ 4 MiB of RSS, docs/benchmarks.md).
 */
function redisClient(): typeof Redis {
  // A lazy load cannot be a static import; the type comes from the import above.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('ioredis') as { default: typeof Redis }).default;
}
import { ConditionalOptions, SetOptions, StateStore, StoreEntry } from './state-store';

export interface RedisStateStoreOptions {
  /** REDIS_URL, e.g. redis://127.0.0.1:6379/0 */
  url: string;
  /** Namespace for every key, so several gateways can share one Redis. Default `streamgate:`. */
  keyPrefix?: string;
  /** Called on connection state changes. */
  onStatus?: (status: 'ready' | 'reconnecting' | 'end' | 'error', detail?: string) => void;
}

/** Compare-and-delete: only the holder of a lease may release it. */
const DEL_IF_VALUE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
/** Compare-and-renew. */
const PEXPIRE_IF_VALUE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;

/** Redis glob metacharacters in a literal prefix must be escaped for SCAN MATCH. */
function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}

/**
 * The Redis driver of the state store. Commands fail at once while Redis is unreachable
 * (no offline queue): status writers retry on their next tick, and nothing piles up in memory.
 */
export class RedisStateStore implements StateStore {
  readonly driver = 'redis';
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(options: RedisStateStoreOptions) {
    this.prefix = options.keyPrefix ?? 'streamgate:';
    const RedisClient = redisClient();
    this.redis = new RedisClient(options.url, {
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.min(100 * times, 2000),
      connectionName: 'streamgate',
    });
    this.redis.on('ready', () => options.onStatus?.('ready'));
    this.redis.on('reconnecting', () => options.onStatus?.('reconnecting'));
    this.redis.on('end', () => options.onStatus?.('end'));
    this.redis.on('error', (err: Error) => options.onStatus?.('error', err.message));
  }

  /** Resolves once connected (or rejects after `timeoutMs`). */
  async ready(timeoutMs = 10_000): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`Redis not reachable within ${timeoutMs} ms`));
      }, timeoutMs);
      const onReady = (): void => {
        cleanup();
        resolve();
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
      };
      this.redis.on('ready', onReady);
    });
  }

  get isReady(): boolean {
    return this.redis.status === 'ready';
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.redis.get(this.prefix + key)) ?? undefined;
  }

  async set(key: string, value: string, options: SetOptions = {}): Promise<boolean> {
    const k = this.prefix + key;
    let reply: string | null;
    if (options.ttlMs && options.onlyIfAbsent) reply = await this.redis.set(k, value, 'PX', options.ttlMs, 'NX');
    else if (options.ttlMs) reply = await this.redis.set(k, value, 'PX', options.ttlMs);
    else if (options.onlyIfAbsent) reply = await this.redis.set(k, value, 'NX');
    else reply = await this.redis.set(k, value);
    return reply === 'OK';
  }

  async delete(key: string, options: ConditionalOptions = {}): Promise<boolean> {
    const k = this.prefix + key;
    if (options.ifValue === undefined) return (await this.redis.del(k)) > 0;
    return Number(await this.redis.eval(DEL_IF_VALUE, 1, k, options.ifValue)) > 0;
  }

  async expire(key: string, ttlMs: number, options: ConditionalOptions = {}): Promise<boolean> {
    const k = this.prefix + key;
    if (options.ifValue === undefined) return (await this.redis.pexpire(k, ttlMs)) === 1;
    return Number(await this.redis.eval(PEXPIRE_IF_VALUE, 1, k, options.ifValue, String(ttlMs))) === 1;
  }

  async list(prefix: string): Promise<StoreEntry[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.redis.scan(cursor, 'MATCH', `${globEscape(this.prefix + prefix)}*`, 'COUNT', 500);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    if (keys.length === 0) return [];
    const unique = [...new Set(keys)].sort();
    const values = await this.redis.mget(...unique);
    const out: StoreEntry[] = [];
    unique.forEach((k, i) => {
      const v = values[i];
      if (v !== null) out.push({ key: k.slice(this.prefix.length), value: v });
    });
    return out;
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
