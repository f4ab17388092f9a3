/**
 * The one reader and writer of registry entries (`streams/<name>`): camera credentials are
 * sealed with the process's SecretBox on the way into the store and opened on the way out,
 * so neither DATA_DIR/state.json nor Redis holds them in plaintext.
 */
import { StreamConfig } from '@streamgate/contracts';
import type { SecretBox } from './secret-box';

export class RegistryEntryError extends Error {
  constructor(readonly key: string, detail: string) {
    super(`registry entry ${key}: ${detail}`);
    this.name = 'RegistryEntryError';
  }
}

const SEALED_FIELDS = ['username', 'password'] as const;
type Sealable = Partial<Record<(typeof SEALED_FIELDS)[number], unknown>>;

/** The objects whose credentials are sealed: the entry (primary source) and each backup source. */
function credentialHolders(raw: Record<string, unknown>): Sealable[] {
  const backups = Array.isArray(raw.backup_sources) ? raw.backup_sources.filter((b): b is Sealable => b !== null && typeof b === 'object') : [];
  return [raw, ...backups];
}

function mapCredentials(raw: Record<string, unknown>, f: (v: string) => string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...raw };
  if (Array.isArray(raw.backup_sources)) {
    out.backup_sources = raw.backup_sources.map((b: unknown) => (b !== null && typeof b === 'object' ? mapCredentials(b as Record<string, unknown>, f) : b));
  }
  for (const k of SEALED_FIELDS) {
    const v = raw[k];
    if (typeof v === 'string') out[k] = f(v);
  }
  return out;
}

export function encodeStreamConfig(config: StreamConfig, box: SecretBox): string {
  return JSON.stringify(mapCredentials({ ...config }, (v) => box.seal(v)));
}

/** Throws RegistryEntryError (never with the entry's text, which may hold a secret). */
export function decodeStreamConfig(key: string, value: string, box: SecretBox): StreamConfig {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(value) as Record<string, unknown>;
  } catch {
    throw new RegistryEntryError(key, 'not JSON');
  }
  if (raw === null || typeof raw !== 'object') throw new RegistryEntryError(key, 'not an object');
  const opened = mapCredentials(raw, (v) => box.open(v));
  const parsed = StreamConfig.safeParse(opened);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RegistryEntryError(key, `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** True when the stored entry has a credential in plaintext or sealed with an older key. */
export function storedEntryNeedsReseal(value: string, box: SecretBox): boolean {
  if (!box.hasKey) return false;
  try {
    const raw = JSON.parse(value) as Record<string, unknown>;
    return credentialHolders(raw).some((h) => SEALED_FIELDS.some((f) => typeof h[f] === 'string' && box.needsReseal(h[f])));
  } catch {
    return false;
  }
}

/**
 * Decoded registry entries, reused while an entry's stored text stays the same. Ingest reads
 * the whole registry on every ownership round (twice a second) and the control API on every
 * gauge refresh; decoding is a JSON parse, opening each sealed credential and a schema check,
 * and with 50 cameras it was the process's largest source of garbage after the media itself.
 * A changed text decodes again; keys not listed in a `list` are forgotten (`retain`). The
 * configs handed out are shared, so they are frozen through and through (backup sources too):
 * a caller that changed one would change it for every later reader of the registry.
 */
export class StreamConfigDecoder {
  private readonly entries = new Map<string, { value: string; config: StreamConfig }>();

  constructor(private readonly box: SecretBox) {}

  /** Throws RegistryEntryError as decodeStreamConfig does (a bad entry is not remembered). */
  decode(key: string, value: string): StreamConfig {
    const hit = this.entries.get(key);
    if (hit !== undefined && hit.value === value) return hit.config;
    this.entries.delete(key);
    const config = deepFreeze(decodeStreamConfig(key, value, this.box));
    this.entries.set(key, { value, config });
    return config;
  }

  /** Forgets every key but `keys` (the registry as just listed). */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.entries.keys()) if (!keys.has(key)) this.entries.delete(key);
  }

  /** Entries remembered. */
  get size(): number {
    return this.entries.size;
  }
}

/** Freezes `value` and every object and array inside it (a decoded registry entry: plain JSON data). */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
