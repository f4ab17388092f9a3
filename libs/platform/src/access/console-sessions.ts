import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { StateStore } from '../store/state-store';

/**
 * Web console sessions: signing in with a user and password gives a random token, sent back as
 * an HttpOnly, SameSite=Strict cookie (Secure over HTTPS). Only a hash of the token is stored
 * (`console-sessions/<sha256(token)>`, in the shared store, so every pod and every HTTP port of
 * a host — the API on 5001, HLS on 8888 — knows it), with the user, an expiry (the store's TTL
 * too) and `HMAC(token, revision)`: the user entry's revision (libs/access), so a changed
 * password or name ends the sessions made before. Signing out deletes the record.
 */
export const SESSION_COOKIE = 'streamgate_session';
export const CONSOLE_SESSIONS_PREFIX = 'console-sessions/';

/** 32 random bytes, base64url. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

interface SessionRecord {
  user: string;
  /** base64 HMAC-SHA256(token, revision). */
  check: string;
  created_at: number;
  expires_at: number;
}

export interface ConsoleSessionsOptions {
  ttlMs: number;
  /** Sessions one user may hold; signing in past it ends that user's oldest. */
  maxPerUser: number;
  now?: () => number;
}

export interface ConsoleSession {
  readonly user: string;
  /** Whether `revision` is that of the user entry the session was made with. */
  verify(revision: string): boolean;
}

function keyOf(token: string): string {
  return CONSOLE_SESSIONS_PREFIX + createHash('sha256').update(token, 'utf8').digest('base64url');
}

function checkOf(token: string, revision: string): Buffer {
  return createHmac('sha256', token).update(revision, 'utf8').digest();
}

function parseRecord(text: string | undefined): SessionRecord | undefined {
  if (text === undefined) return undefined;
  try {
    const r = JSON.parse(text) as Partial<SessionRecord>;
    if (typeof r.user !== 'string' || typeof r.check !== 'string' || typeof r.expires_at !== 'number' || typeof r.created_at !== 'number') return undefined;
    return r as SessionRecord;
  } catch {
    return undefined;
  }
}

export class ConsoleSessions {
  private readonly now: () => number;

  constructor(private readonly store: StateStore, private readonly options: ConsoleSessionsOptions) {
    this.now = options.now ?? Date.now;
  }

  get ttlMs(): number {
    return this.options.ttlMs;
  }

  /** A new session for `user`, signed in with the entry of `revision`. The token is returned once. */
  async create(user: string, revision: string): Promise<{ token: string; expiresAt: number }> {
    const token = randomBytes(32).toString('base64url');
    const now = this.now();
    const record: SessionRecord = { user, check: checkOf(token, revision).toString('base64'), created_at: now, expires_at: now + this.options.ttlMs };
    await this.endOldest(user);
    await this.store.set(keyOf(token), JSON.stringify(record), { ttlMs: this.options.ttlMs });
    return { token, expiresAt: record.expires_at };
  }

  /** The live session of a cookie value; undefined when unknown, expired or malformed. */
  async resolve(token: string): Promise<ConsoleSession | undefined> {
    if (!TOKEN_PATTERN.test(token)) return undefined;
    const record = parseRecord(await this.store.get(keyOf(token)));
    if (!record || record.expires_at <= this.now()) return undefined;
    const check = Buffer.from(record.check, 'base64');
    return {
      user: record.user,
      verify: (revision) => {
        const expected = checkOf(token, revision);
        return expected.length === check.length && timingSafeEqual(expected, check);
      },
    };
  }

  /** Signs out: the session is gone for every port and pod. */
  async revoke(token: string): Promise<boolean> {
    if (!TOKEN_PATTERN.test(token)) return false;
    return this.store.delete(keyOf(token));
  }

  private async endOldest(user: string): Promise<void> {
    const mine = (await this.store.list(CONSOLE_SESSIONS_PREFIX))
      .map((e) => ({ key: e.key, record: parseRecord(e.value) }))
      .filter((e): e is { key: string; record: SessionRecord } => e.record?.user === user)
      .sort((a, b) => a.record.created_at - b.record.created_at);
    for (const e of mine.slice(0, Math.max(0, mine.length - this.options.maxPerUser + 1))) await this.store.delete(e.key);
  }
}
