import { AccessAction } from './permissions';
import { anyPermits } from './permissions';
import { plainSecret, secretMatches } from './secrets';
import { CompiledUser, userAllowsAddress } from './users';

/**
 * The decision over a users list (MediaMTX's internal authentication):
 * - an `any` entry whose ips admit the peer and whose permissions cover the request allows it,
 *   whatever credentials came with it;
 * - otherwise credentials are needed: a named entry whose name and password match, whose ips
 *   admit the peer and whose permissions cover the request allows it;
 * - a matching name and password without that permission (or from another address) is 403;
 * - no credentials is 401 `missing-credentials`, wrong ones 401 `wrong-credentials`.
 */
export type PresentedCredentials =
  | { kind: 'none' }
  | { kind: 'password'; user: string; pass: string }
  /** RTSP Digest: the response can only be checked against a plain-text password. */
  | { kind: 'digest'; user: string; verify(password: string): boolean }
  /**
   * A console session (cookie): signed in earlier with this user's password; `verify` checks
   * the entry's `revision` is the one the session was made with.
   */
  | { kind: 'session'; user: string; verify(revision: string): boolean };

export type DenialReason =
  | 'missing-credentials'
  | 'wrong-credentials'
  | 'no-permission'
  | 'address-not-allowed'
  | 'invalid-token'
  | 'auth-unavailable';

export const DENIAL_REASONS: readonly DenialReason[] = [
  'missing-credentials', 'wrong-credentials', 'no-permission', 'address-not-allowed', 'invalid-token', 'auth-unavailable',
];

export type AccessDecision =
  /** `revision`: of the named entry whose credentials matched (not for `any`). */
  | { allowed: true; user: string; revision?: string }
  | { allowed: false; status: 401 | 403; reason: DenialReason; user?: string };

export interface InternalRequest {
  credentials: PresentedCredentials;
  ip: string;
  action: AccessAction;
  path: string;
}

export function denialStatus(reason: DenialReason): 401 | 403 {
  return reason === 'no-permission' || reason === 'address-not-allowed' ? 403 : 401;
}

export function deny(reason: DenialReason, user?: string): AccessDecision {
  return user === undefined ? { allowed: false, status: denialStatus(reason), reason } : { allowed: false, status: denialStatus(reason), reason, user };
}

async function credentialsMatch(entry: CompiledUser, credentials: PresentedCredentials): Promise<boolean> {
  if (credentials.kind === 'none' || !entry.user || !entry.pass) return false;
  if (!(await secretMatches(entry.user, credentials.user))) return false;
  if (credentials.kind === 'session') return credentials.verify(entry.revision);
  if (credentials.kind === 'password') return secretMatches(entry.pass, credentials.pass);
  const plain = plainSecret(entry.pass);
  return plain !== undefined && credentials.verify(plain);
}

/**
 * `namedOnly`: decide on the credentials alone, as signing in does (an `any` entry would
 * otherwise allow a wrong password).
 */
export async function authorizeInternal(users: readonly CompiledUser[], req: InternalRequest, namedOnly = false): Promise<AccessDecision> {
  for (const u of users) {
    if (namedOnly) break;
    if (u.anyUser && userAllowsAddress(u, req.ip) && anyPermits(u.permissions, req.action, req.path)) return { allowed: true, user: 'any' };
  }
  const { credentials } = req;
  if (credentials.kind === 'none') return deny('missing-credentials');
  let known: 'no-permission' | 'address-not-allowed' | undefined;
  for (const u of users) {
    if (u.anyUser || !(await credentialsMatch(u, credentials))) continue;
    if (!userAllowsAddress(u, req.ip)) {
      known ??= 'address-not-allowed';
      continue;
    }
    if (anyPermits(u.permissions, req.action, req.path)) return { allowed: true, user: credentials.user, revision: u.revision };
    known = 'no-permission';
  }
  return deny(known ?? 'wrong-credentials', credentials.user);
}
