import { createHash } from 'node:crypto';
import { z } from 'zod';
import { IpRange, IpRangeError, addressBytes, ipInRange, parseIpRange } from './ip-range';
import { CONFIG_ACTIONS, Permission, PermissionError, compilePermission } from './permissions';
import { SecretFormatError, StoredSecret, parseStoredSecret } from './secrets';

/**
 * The users list, in MediaMTX's `authInternalUsers` shape so configs carry over:
 *
 *   users:
 *   - user: any                 # anyone, with or without credentials
 *     permissions: [{ action: read }]
 *   - user: operator
 *     pass: sha256:XohImNooBHFR0OVvjcYpJ3NgPQ1qq73WKhHvch0VQtg=
 *     ips: [192.168.0.0/16]
 *     permissions: [{ action: publish, path: "~^drone" }, { action: api }]
 */
export const MAX_USERS = 1000;
export const ANY_USER = 'any';

export const PermissionEntry = z.object({
  action: z.enum(CONFIG_ACTIONS),
  path: z.string().max(1024).nullish(),
});

export const UserEntry = z.object({
  user: z.string().min(1).max(256),
  pass: z.string().max(1024).nullish(),
  ips: z.array(z.string().max(64)).max(256).nullish(),
  permissions: z.array(PermissionEntry).max(1024).default([]),
});
export type UserEntry = z.infer<typeof UserEntry>;

export const UsersList = z.array(UserEntry).max(MAX_USERS);

export class UsersConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsersConfigError';
  }
}

export interface CompiledUser {
  /** As configured (`any`, a name, or `sha256:`...): what logs name when nothing better is known. */
  readonly label: string;
  readonly anyUser: boolean;
  readonly user: StoredSecret | undefined;
  readonly pass: StoredSecret | undefined;
  readonly ips: readonly IpRange[];
  readonly permissions: readonly Permission[];
  /**
   * Names this entry's name and password as configured (a digest, not the password): a console
   * session remembers it, so changing the password or the name ends the sessions made with the
   * old one.
   */
  readonly revision: string;
}

export function userAllowsAddress(user: CompiledUser, ip: string): boolean {
  if (user.ips.length === 0) return true;
  const bytes = addressBytes(ip);
  return bytes !== undefined && user.ips.some((r) => ipInRange(bytes, r));
}

/** Validates and compiles a users list; errors name the entry (never its password). */
export function compileUsers(raw: unknown): CompiledUser[] {
  const parsed = UsersList.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsersConfigError(`users${issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('')}: ${issue.message}`);
  }
  return parsed.data.map((entry, i) => {
    const where = `users[${i}] (${entry.user.startsWith('sha256:') || entry.user.startsWith('argon2:') ? 'hashed name' : entry.user})`;
    const anyUser = entry.user === ANY_USER;
    if (!anyUser && !entry.pass) throw new UsersConfigError(`${where}: a named user needs a pass (use user: any for anonymous access)`);
    try {
      return {
        label: anyUser ? ANY_USER : entry.user.includes(':') ? 'hashed-user' : entry.user,
        anyUser,
        user: anyUser ? undefined : parseStoredSecret(entry.user),
        pass: anyUser || !entry.pass ? undefined : parseStoredSecret(entry.pass),
        ips: (entry.ips ?? []).map(parseIpRange),
        permissions: entry.permissions.map(compilePermission),
        revision: createHash('sha256').update(`streamgate user\0${entry.user}\0${entry.pass ?? ''}`, 'utf8').digest('base64'),
      };
    } catch (err) {
      if (err instanceof IpRangeError || err instanceof PermissionError || err instanceof SecretFormatError) throw new UsersConfigError(`${where}: ${err.message}`);
      throw err;
    }
  });
}

/**
 * What applies when no users are configured: today's open gateway (anyone reads, publishes,
 * plays back, scrapes metrics and uses the API, the API key rules aside).
 */
export const OPEN_USERS: readonly UserEntry[] = [
  { user: ANY_USER, permissions: [{ action: 'read' }, { action: 'publish' }, { action: 'playback' }, { action: 'api' }, { action: 'metrics' }] },
];
