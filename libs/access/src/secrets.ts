import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * A configured user name or password, as MediaMTX takes them: plain text, `sha256:` followed by
 * the base64 SHA-256 of the value, or `argon2:` followed by the PHC string
 * (`argon2:$argon2id$v=19$m=4096,t=3,p=1$<salt>$<hash>`). A hashed password cannot answer an
 * RTSP Digest challenge (Digest needs the plain text), so such users authenticate with Basic.
 */
export type StoredSecret =
  | { kind: 'plain'; value: string }
  | { kind: 'sha256'; digest: Buffer }
  | { kind: 'argon2'; encoded: string };

export class SecretFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretFormatError';
  }
}

export function parseStoredSecret(text: string): StoredSecret {
  if (text.startsWith('sha256:')) {
    const digest = Buffer.from(text.slice(7), 'base64');
    if (digest.length !== 32) throw new SecretFormatError('a sha256: value must be the base64 of a 32-byte SHA-256 digest');
    return { kind: 'sha256', digest };
  }
  if (text.startsWith('argon2:')) {
    const encoded = text.slice(7);
    if (!/^\$argon2(id|i|d)\$/.test(encoded)) throw new SecretFormatError('an argon2: value must be a PHC string such as $argon2id$v=19$m=4096,t=3,p=1$salt$hash');
    return { kind: 'argon2', encoded };
  }
  return { kind: 'plain', value: text };
}

/** Compares without leaking length or content through timing (both sides hashed first). */
export function constantTimeEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a, 'utf8').digest(), createHash('sha256').update(b, 'utf8').digest());
}

/** Successful argon2 checks, so a reader's five RTSP requests cost one argon2 run. Bounded. */
const ARGON2_CACHE_LIMIT = 1024;
const argon2Verified = new Set<string>();

export async function secretMatches(stored: StoredSecret, given: string): Promise<boolean> {
  switch (stored.kind) {
    case 'plain':
      return constantTimeEqual(stored.value, given);
    case 'sha256':
      return timingSafeEqual(stored.digest, createHash('sha256').update(given, 'utf8').digest());
    case 'argon2': {
      const key = createHash('sha256').update(stored.encoded).update('\0').update(given, 'utf8').digest('base64');
      if (argon2Verified.has(key)) return true;
      let ok: boolean;
      try {
        // Loaded with the first argon2 check: ~1.8 MiB of RSS a gateway without argon2 users never pays.
        const { argon2Verify } = await import('hash-wasm');
        ok = await argon2Verify({ password: given, hash: stored.encoded });
      } catch (err) {
        throw new SecretFormatError(`argon2 hash cannot be checked: ${(err as Error).message}`);
      }
      if (ok) {
        if (argon2Verified.size >= ARGON2_CACHE_LIMIT) argon2Verified.delete(argon2Verified.values().next().value as string);
        argon2Verified.add(key);
      }
      return ok;
    }
  }
}

/** The plain text, when the secret is stored as plain text (what RTSP Digest needs). */
export function plainSecret(stored: StoredSecret): string | undefined {
  return stored.kind === 'plain' ? stored.value : undefined;
}

/** `sha256:<base64>` of a value: what to write in a config to avoid a plain-text password. */
export function sha256Secret(value: string): string {
  return `sha256:${createHash('sha256').update(value, 'utf8').digest('base64')}`;
}
