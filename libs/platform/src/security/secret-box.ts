/**
 * Secrets at rest (camera passwords in the registry, in DATA_DIR/state.json or Redis):
 * AES-256-GCM (NIST SP 800-38D) with a 96-bit random IV per value.
 *
 *   enc:v1:<key id>:<base64( iv(12) | ciphertext | tag(16) )>
 *
 * The key id (8 hex digits of SHA-256 of the key) names which key sealed a value, so a
 * rotation keeps the old key in SECRETS_KEY_PREVIOUS until every value is sealed again with the
 * new one (the control API does that at start). A value without the prefix is a plaintext
 * entry from before encryption; it is read as is and sealed at the next start.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export class SecretKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretKeyError';
  }
}

/** Parses a 256-bit key given as 64 hex digits or base64 (44 characters). */
export function parseSecretKey(text: string, setting: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : /^[A-Za-z0-9+/_-]{43}=?$/.test(t) ? Buffer.from(t, 'base64') : undefined;
  if (!key || key.byteLength !== KEY_BYTES) {
    throw new SecretKeyError(`${setting} must be 32 random bytes as 64 hex digits or base64 (openssl rand -hex 32)`);
  }
  return key;
}

const keyId = (key: Buffer): string => createHash('sha256').update(key).digest('hex').slice(0, 8);

export class SecretBox {
  private readonly keys = new Map<string, Buffer>();
  private readonly currentId: string | undefined;

  /**
   * @param current the key new values are sealed with; undefined: no key (sealing throws
   *   `missingKeyMessage`, reading sealed values fails, plaintext passes through)
   * @param previous keys still accepted for reading (rotation)
   */
  constructor(current: Buffer | undefined, previous: Buffer[] = [], private readonly missingKeyMessage = 'no SECRETS_KEY configured') {
    for (const k of [...previous, ...(current ? [current] : [])]) this.keys.set(keyId(k), k);
    this.currentId = current ? keyId(current) : undefined;
  }

  get hasKey(): boolean {
    return this.currentId !== undefined;
  }

  static isSealed(value: string): boolean {
    return value.startsWith(PREFIX);
  }

  /** True when the value is plaintext or sealed with an older key (seal it again). */
  needsReseal(value: string): boolean {
    return this.currentId !== undefined && !value.startsWith(`${PREFIX}${this.currentId}:`);
  }

  seal(plaintext: string): string {
    const key = this.currentId && this.keys.get(this.currentId);
    if (!key) throw new SecretKeyError(this.missingKeyMessage);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const body = Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${PREFIX}${this.currentId}:${body.toString('base64')}`;
  }

  /** Opens a sealed value; plaintext (from before encryption) is returned unchanged. */
  open(value: string): string {
    if (!value.startsWith(PREFIX)) return value;
    const rest = value.slice(PREFIX.length);
    const colon = rest.indexOf(':');
    const id = rest.slice(0, colon);
    const key = this.keys.get(id);
    if (colon < 0 || !key) throw new SecretKeyError(`a stored secret was sealed with key ${id || '?'}, which is not configured (SECRETS_KEY / SECRETS_KEY_PREVIOUS)`);
    const body = Buffer.from(rest.slice(colon + 1), 'base64');
    if (body.byteLength < IV_BYTES + TAG_BYTES) throw new SecretKeyError('a stored secret is truncated');
    const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, IV_BYTES));
    decipher.setAuthTag(body.subarray(body.byteLength - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(body.subarray(IV_BYTES, body.byteLength - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretKeyError(`a stored secret sealed with key ${id} does not authenticate (tampered, or a different key with the same id)`);
    }
  }
}

export interface SecretBoxSettings {
  SECRETS_KEY?: string;
  SECRETS_KEY_PREVIOUS?: string;
}

/**
 * The process's SecretBox. With SECRETS_KEY unset: the file store generates a key into
 * its directory (0600) once and reuses it, and says so through `onGenerated`; a memory-only
 * store gets a random key for the life of the process; a shared store (Redis) gets no key,
 * since every pod must hold the same one (sealing then fails with a message naming SECRETS_KEY).
 */
export function createSecretBox(
  settings: SecretBoxSettings, keyHome: { file: string } | 'ephemeral' | 'none', onGenerated: (path: string) => void,
): SecretBox {
  const previous = (settings.SECRETS_KEY_PREVIOUS ?? '').split(',').filter((s) => s.trim() !== '').map((s) => parseSecretKey(s, 'SECRETS_KEY_PREVIOUS'));
  if (settings.SECRETS_KEY) return new SecretBox(parseSecretKey(settings.SECRETS_KEY, 'SECRETS_KEY'), previous);
  // Nothing is persisted: a key that lives as long as the process is enough.
  if (keyHome === 'ephemeral') return new SecretBox(randomBytes(KEY_BYTES), previous);
  if (keyHome === 'none') {
    return new SecretBox(undefined, previous, 'camera passwords need SECRETS_KEY when the registry is shared (REDIS_URL): set the same key on every pod');
  }
  const generatedKeyPath = keyHome.file;
  if (existsSync(generatedKeyPath)) {
    chmodSync(generatedKeyPath, 0o600);
    return new SecretBox(parseSecretKey(readFileSync(generatedKeyPath, 'utf8'), generatedKeyPath), previous);
  }
  mkdirSync(dirname(generatedKeyPath), { recursive: true });
  writeFileSync(generatedKeyPath, `${randomBytes(KEY_BYTES).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  onGenerated(generatedKeyPath);
  return new SecretBox(parseSecretKey(readFileSync(generatedKeyPath, 'utf8'), generatedKeyPath), previous);
}
