import { randomUUID } from 'node:crypto';
import {
  ACCESS_ACTIONS, AccessAction, AccessDecision, AccessProtocol, CompiledUser, DenialReason, JwtError, OPEN_USERS, PresentedCredentials,
  anyPermits, authorizeInternal, compileUsers, decodeJwt, deny, verifyJwt,
} from '@streamgate/access';
import { ConfigError, GatewayConfig } from '../config/config';
import type { Logger } from '../logging/logger';
import type { MetricsCatalog } from '../metrics/catalog';
import { BruteForceLimiter, BruteForceLimiterOptions, DEFAULT_BRUTE_FORCE_LIMITS } from './brute-force-limiter';
import { HttpAuthClient } from './http-auth-client';
import type { ConsoleSessions } from './console-sessions';
import { JwksClient } from './jwks-client';
import type { ConfigDocument, ConfigFileReloader, ConfigFileSubscriber, ReloadTrigger } from '../config/config-file-reloader';
import { pollFileChanges } from '../config/file-change-poll';
import { readConfigDocument, usersOfSources, usersSecretFile } from './users-source';

/**
 * Who may do what, for every port (docs/access.md). One entry point, `authorize`, that the
 * RTSP server, the RTMP gate, the control API, the metrics endpoint and the HTTP egresses
 * (HLS, WebRTC, playback) call with what their protocol carried:
 *
 *   await access.authorize({ action: 'read', path: 'cam1', protocol: 'hls', ip, user, pass, token })
 *
 * It picks the method (users list, AUTH_HTTP_URL or JWT), applies the per-address
 * brute-force delay, and logs and counts each refusal once, never with a password or token.
 */
export interface AccessRequest {
  action: AccessAction;
  /** Stream name; empty or absent for api/metrics. */
  path?: string;
  protocol: AccessProtocol;
  /** Peer address. */
  ip: string;
  user?: string;
  pass?: string;
  /** Bearer token, `?token=`/`?jwt=`: a JWT when AUTH_JWT_JWKS_URL is set. */
  token?: string;
  /** RTSP Digest: checks the response against a candidate plain-text password. */
  digest?: { user: string; verify(password: string): boolean };
  /** Connection or session id, passed to AUTH_HTTP_URL. */
  id?: string;
  /** Query string of the request, passed to AUTH_HTTP_URL (without credentials). */
  query?: string;
  /** The web console's session cookie (HTTP ports): used when no other credentials came. */
  session?: string;
}

/** Signing in to the web console: a session token (for the cookie), or why not. */
export type SignInResult =
  | { signedIn: true; user: string; token: string; expiresAt: number }
  | { signedIn: false; status: 400 | 401 | 403; message: string };

export type AuthMethod = 'internal' | 'http' | 'jwt';

export interface AccessControlOptions {
  limits?: BruteForceLimiterOptions;
  /**
   * The process's config file: the users list is read from the document it holds, and
   * `usersSubscriber` is subscribed to it for reloads. Without it the file is read directly.
   */
  configFile?: ConfigFileReloader;
  /** Web console sessions (cookie sign-in); without them a session cookie is ignored. */
  sessions?: ConsoleSessions;
  /** Clock, for tests. */
  now?: () => number;
}

const COUNTED_FAILURES = new Set<DenialReason>(['wrong-credentials', 'invalid-token']);
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

function actionList(text: string): Set<AccessAction> {
  return new Set(text.split(',').map((s) => s.trim()).filter((s): s is AccessAction => (ACCESS_ACTIONS as readonly string[]).includes(s)));
}

interface LoadedUsers {
  users: CompiledUser[];
  configured: boolean;
  /** The list as given (JSON), to tell a change of users from a reload that left them alone. */
  text: string;
}

function readConfigDocumentOrError(config: GatewayConfig): ConfigDocument | undefined | Error {
  try {
    return readConfigDocument(config);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

export class AccessControl {
  private users: readonly CompiledUser[];
  private usersConfigured: boolean;
  private usersText: string;
  private readonly method: AuthMethod;
  private readonly excluded: Set<AccessAction>;
  private readonly http: HttpAuthClient | undefined;
  private readonly jwks: JwksClient | undefined;
  private readonly limiter: BruteForceLimiter;
  private readonly now: () => number;
  /** The config document the users list was read from last (undefined: no file). */
  private document: ConfigDocument | undefined;
  private readonly configFile: ConfigFileReloader | undefined;
  private readonly sessions: ConsoleSessions | undefined;
  private stopSecretPoll: (() => void) | undefined;

  constructor(
    private readonly config: GatewayConfig,
    private readonly logger: Logger,
    private readonly metrics: MetricsCatalog | undefined,
    options: AccessControlOptions = {},
  ) {
    if (config.AUTH_HTTP_URL && config.AUTH_JWT_JWKS_URL) throw new ConfigError('AUTH_HTTP_URL and AUTH_JWT_JWKS_URL: set one authentication method, not both');
    this.method = config.AUTH_HTTP_URL ? 'http' : config.AUTH_JWT_JWKS_URL ? 'jwt' : 'internal';
    this.excluded = actionList(this.method === 'http' ? config.AUTH_HTTP_EXCLUDE : this.method === 'jwt' ? config.AUTH_JWT_EXCLUDE : '');
    if (config.AUTH_HTTP_URL) this.http = new HttpAuthClient(config.AUTH_HTTP_URL, config.AUTH_HTTP_TIMEOUT_MS, config.AUTH_HTTP_CACHE_MS);
    if (config.AUTH_JWT_JWKS_URL) {
      this.jwks = new JwksClient(config.AUTH_JWT_JWKS_URL, { timeoutMs: config.AUTH_HTTP_TIMEOUT_MS, refreshMs: 5 * 60_000, minRefetchMs: 1000 });
    }
    this.limiter = new BruteForceLimiter(options.limits ?? DEFAULT_BRUTE_FORCE_LIMITS);
    this.now = options.now ?? Date.now;
    this.configFile = options.configFile;
    this.sessions = options.sessions;
    const doc = this.configFile ? this.configFile.current() : readConfigDocumentOrError(config);
    if (doc instanceof Error) throw new ConfigError(doc.message);
    this.document = doc;
    const loaded = this.load(doc);
    if (loaded instanceof Error) throw new ConfigError(loaded.message);
    this.users = loaded.users;
    this.usersConfigured = loaded.configured;
    this.usersText = loaded.text;
  }

  /** Access is restricted (users configured, or an external method): otherwise everything is open. */
  get restricted(): boolean {
    return this.usersConfigured || this.method !== 'internal';
  }

  get authMethod(): AuthMethod {
    return this.method;
  }

  /**
   * Whether RTSP may offer Digest: it needs the plain-text password, so only the users list
   * can check it, and only when no user has a hashed name or password (a client offered Digest
   * picks it, and a hashed user could then never log in; MediaMTX defaults to Basic for this).
   */
  get digestAvailable(): boolean {
    return this.method === 'internal' && this.users.every((u) => u.anyUser || (u.user?.kind === 'plain' && u.pass?.kind === 'plain'));
  }

  /**
   * The `users` part of config.json as a subscriber of the process's one ConfigFileReloader: a
   * new file with a bad users list is refused whole (the running list stays), a good one
   * applies at once, without a restart.
   */
  readonly usersSubscriber: ConfigFileSubscriber<LoadedUsers & { doc: ConfigDocument }> = {
    name: 'users',
    prepare: (doc) => {
      const loaded = this.load(doc);
      if (loaded instanceof Error) throw new ConfigError(loaded.message);
      return { ...loaded, doc };
    },
    apply: (prepared, trigger) => {
      this.document = prepared.doc;
      this.use(prepared, trigger);
    },
  };

  /** Re-reads the users list (AUTH_USERS, and the config file when no reloader holds it); a bad new list is logged and the old one kept. */
  reload(): boolean {
    const doc = this.configFile ? this.document : readConfigDocumentOrError(this.config);
    const loaded = doc instanceof Error ? doc : this.load(doc);
    if (loaded instanceof Error) {
      this.logger.error({ err: loaded.message }, 'users list not reloaded: keeping the previous one');
      return false;
    }
    if (!(doc instanceof Error)) this.document = doc;
    this.use(loaded, 'file-changed');
    return true;
  }

  /**
   * Re-reads the users list when the AUTH_USERS file changes (polling, so a mounted Secret's
   * symlink swap is seen). config.json itself is the reloader's: see `usersSubscriber`.
   */
  watch(intervalMs = 2000): void {
    this.close();
    const file = usersSecretFile(this.config);
    if (!file) return;
    this.stopSecretPoll = pollFileChanges([file], intervalMs, () => void this.reload());
  }

  close(): void {
    this.stopSecretPoll?.();
    this.stopSecretPoll = undefined;
  }

  private use(loaded: LoadedUsers, trigger: ReloadTrigger): void {
    const changed = loaded.text !== this.usersText;
    this.users = loaded.users;
    this.usersConfigured = loaded.configured;
    this.usersText = loaded.text;
    if (changed && trigger !== 'boot') this.logger.info({ users: loaded.configured ? loaded.users.length : 0, trigger }, 'users list reloaded');
  }

  async authorize(req: AccessRequest): Promise<AccessDecision> {
    return this.guarded(req, () => this.decide(req));
  }

  /** A decision with the per-address delay before it, and its refusal logged and counted. */
  private async guarded(req: AccessRequest, decide: () => Promise<AccessDecision>): Promise<AccessDecision> {
    const wait = this.limiter.delayMs(req.ip, this.now());
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    let decision: AccessDecision;
    try {
      decision = await decide();
    } catch (err) {
      this.logger.error({ err: (err as Error).message, protocol: req.protocol, action: req.action }, 'access decision failed');
      decision = deny('auth-unavailable', this.userOf(req));
    }
    if (!decision.allowed) this.recordFailure(req, decision.reason, decision.user);
    return decision;
  }

  /** Whether the web console can sign users in (the users list decides `api`, sessions are kept). */
  get signInAvailable(): boolean {
    return this.sessions !== undefined && this.usersConfigured && !this.excludedFromUsers('api');
  }

  get sessionTtlMs(): number | undefined {
    return this.sessions?.ttlMs;
  }

  /**
   * Web console sign-in: the user's password is checked against the users list alone (an `any`
   * entry does not make a wrong password right), the user needs `api`, and failures are slowed
   * and logged like every other refusal. The token is for the cookie; only its hash is stored.
   */
  async signIn(req: { ip: string; user: string; pass: string }): Promise<SignInResult> {
    if (!this.signInAvailable || !this.sessions) {
      return { signedIn: false, status: 400, message: 'sign-in needs a users list (users in config.json or AUTH_USERS); send a Bearer token or the API key instead' };
    }
    const request: AccessRequest = { action: 'api', path: '', protocol: 'http', ip: req.ip, user: req.user, pass: req.pass };
    const decision = await this.guarded(request, () =>
      authorizeInternal(this.users, { credentials: { kind: 'password', user: req.user, pass: req.pass }, ip: req.ip, action: 'api', path: '' }, true));
    if (!decision.allowed) {
      return decision.status === 403
        ? { signedIn: false, status: 403, message: 'this user has no api permission' }
        : { signedIn: false, status: 401, message: 'wrong user name or password' };
    }
    if (decision.revision === undefined) return { signedIn: false, status: 401, message: 'wrong user name or password' };
    const { token, expiresAt } = await this.sessions.create(decision.user, decision.revision);
    this.logger.info({ ip: req.ip, user: decision.user }, 'console sign-in');
    return { signedIn: true, user: decision.user, token, expiresAt };
  }

  /** Signs a console session out, on every port and pod. */
  async signOut(token: string): Promise<boolean> {
    return (await this.sessions?.revoke(token)) ?? false;
  }

  /** Logs, counts and (for wrong credentials) slows a refusal decided at an edge. */
  recordFailure(req: Pick<AccessRequest, 'action' | 'path' | 'protocol' | 'ip'>, reason: DenialReason, user?: string): void {
    this.metrics?.authFailures.inc({ protocol: req.protocol, action: req.action, reason });
    if (COUNTED_FAILURES.has(reason)) this.limiter.failed(req.ip, this.now());
    const fields = { ip: req.ip, user: user ?? null, action: req.action, path: req.path ?? null, protocol: req.protocol, reason };
    // Every RTSP reader meets missing-credentials once before it answers the challenge.
    if (reason === 'missing-credentials') this.logger.debug(fields, 'access refused');
    else this.logger.warn(fields, 'access refused');
  }

  private userOf(req: AccessRequest): string | undefined {
    return req.digest?.user ?? req.user;
  }

  private async decide(req: AccessRequest): Promise<AccessDecision> {
    const path = req.path ?? '';
    const method = this.excluded.has(req.action) ? 'internal' : this.method;
    if (method === 'jwt') return this.decideJwt(req, path);
    if (method === 'http') return this.decideHttp(req, path);
    let credentials: PresentedCredentials = req.digest
      ? { kind: 'digest', user: req.digest.user, verify: req.digest.verify }
      : req.user !== undefined && req.pass !== undefined ? { kind: 'password', user: req.user, pass: req.pass } : { kind: 'none' };
    if (credentials.kind === 'none' && req.session !== undefined && this.sessions) {
      // An unknown or expired session is no credentials: the console signs in again.
      const session = await this.sessions.resolve(req.session);
      if (session) credentials = { kind: 'session', user: session.user, verify: session.verify };
    }
    return authorizeInternal(this.users, { credentials, ip: req.ip, action: req.action, path });
  }

  private excludedFromUsers(action: AccessAction): boolean {
    return this.method !== 'internal' && !this.excluded.has(action);
  }

  private async decideHttp(req: AccessRequest, path: string): Promise<AccessDecision> {
    if (!this.http) return deny('auth-unavailable');
    const user = this.userOf(req);
    // Digest keeps the password from us; only Basic (or query) credentials can be forwarded.
    if (req.digest) return deny('wrong-credentials', user);
    const result = await this.http.check({
      user: req.user ?? '', password: req.pass ?? '', token: req.token ?? '', ip: req.ip, action: req.action, path,
      protocol: req.protocol, id: req.id ?? randomUUID(), query: req.query ?? '',
    }, this.now());
    if (result === 'allowed') return { allowed: true, user: user ?? 'any' };
    if (result === 'unavailable') return deny('auth-unavailable', user);
    const presented = req.user !== undefined || req.pass !== undefined || req.token !== undefined;
    return deny(presented ? 'wrong-credentials' : 'missing-credentials', user);
  }

  private async decideJwt(req: AccessRequest, path: string): Promise<AccessDecision> {
    // MediaMTX takes the JWT from the Authorization header, the query, or the password field.
    const token = req.token ?? (req.pass !== undefined && JWT_SHAPE.test(req.pass) ? req.pass : undefined);
    if (token === undefined) return deny(req.user !== undefined ? 'wrong-credentials' : 'missing-credentials', req.user);
    if (!this.jwks) return deny('auth-unavailable');
    let subject: string | undefined;
    try {
      const jwt = decodeJwt(token);
      const key = await this.jwks.keyFor(jwt, this.now());
      if (!key) return deny('invalid-token');
      const verified = verifyJwt(jwt, key, { nowSec: this.now() / 1000, claimKey: this.config.AUTH_JWT_CLAIM });
      subject = verified.subject;
      if (anyPermits(verified.permissions, req.action, path)) return { allowed: true, user: subject ?? 'jwt' };
    } catch (err) {
      if (err instanceof JwtError) return deny('invalid-token');
      throw err;
    }
    return deny('no-permission', subject);
  }

  private load(doc: ConfigDocument | undefined): LoadedUsers | Error {
    try {
      const raw = usersOfSources(this.config, doc);
      return raw === undefined
        ? { users: compileUsers(OPEN_USERS), configured: false, text: '' }
        : { users: compileUsers(raw), configured: true, text: JSON.stringify(raw) };
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  }
}
