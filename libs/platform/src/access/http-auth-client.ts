import { createHash } from 'node:crypto';

/**
 * MediaMTX's HTTP authentication (`authHTTPAddress`): the gateway POSTs
 * `{user, password, token, ip, action, path, protocol, id, query}` to AUTH_HTTP_URL and a 2xx
 * answer allows the request. The call is bounded by `timeoutMs`; a timeout or an unreachable
 * service denies. Allowed answers are cached for `cacheMs` under a hash of the request (the
 * cache never holds the password itself), so a reader's RTSP requests cost one call.
 */
export interface HttpAuthRequest {
  user: string;
  password: string;
  token: string;
  ip: string;
  action: string;
  path: string;
  protocol: string;
  id: string;
  query: string;
}

export type HttpAuthResult = 'allowed' | 'denied' | 'unavailable';

const MAX_CACHE_ENTRIES = 10_000;

export class HttpAuthClient {
  private readonly cache = new Map<string, number>();

  constructor(private readonly url: string, private readonly timeoutMs: number, private readonly cacheMs: number) {}

  async check(req: HttpAuthRequest, nowMs = Date.now()): Promise<HttpAuthResult> {
    // id differs per connection; it is sent but not part of the cache key.
    const key = createHash('sha256').update(JSON.stringify({ ...req, id: '' })).digest('base64');
    const until = this.cache.get(key);
    if (until !== undefined && until > nowMs) return 'allowed';
    let status: number;
    try {
      const res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(req),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'error',
      });
      status = res.status;
      await res.body?.cancel();
    } catch {
      // Timeout, refused connection, redirect: the decision cannot be made, so deny.
      return 'unavailable';
    }
    if (status < 200 || status > 299) {
      this.cache.delete(key);
      return 'denied';
    }
    if (this.cacheMs > 0) {
      this.cache.delete(key);
      this.cache.set(key, nowMs + this.cacheMs);
      while (this.cache.size > MAX_CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
    }
    return 'allowed';
  }
}
