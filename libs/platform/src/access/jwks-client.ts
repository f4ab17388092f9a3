import { DecodedJwt, VerificationKey, importJwks, selectKey } from '@streamgate/access';

/**
 * The keys of AUTH_JWT_JWKS_URL. Fetched on first use and again every `refreshMs`; a token
 * naming a key id the set does not have triggers a refetch at once (key rotation), at most
 * once per `minRefetchMs` so tokens with made-up key ids cannot hammer the identity server.
 */
export class JwksClient {
  private keys: VerificationKey[] = [];
  private fetchedAtMs = -Infinity;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly options: { timeoutMs: number; refreshMs: number; minRefetchMs: number },
  ) {}

  /** The key for `jwt`, refetching the set when it is old or lacks the token's key. */
  async keyFor(jwt: DecodedJwt, nowMs = Date.now()): Promise<VerificationKey | undefined> {
    if (nowMs - this.fetchedAtMs > this.options.refreshMs) await this.refresh(nowMs);
    let key = selectKey(jwt, this.keys);
    if (!key && nowMs - this.fetchedAtMs >= this.options.minRefetchMs) {
      await this.refresh(nowMs);
      key = selectKey(jwt, this.keys);
    }
    return key;
  }

  private refresh(nowMs: number): Promise<void> {
    this.inFlight ??= (async () => {
      try {
        const res = await fetch(this.url, { signal: AbortSignal.timeout(this.options.timeoutMs), headers: { accept: 'application/json' } });
        if (!res.ok) throw new Error(`JWKS answered ${res.status}`);
        this.keys = importJwks(await res.json());
      } finally {
        // A failed fetch keeps the last good keys and waits minRefetchMs before trying again.
        this.fetchedAtMs = nowMs;
        this.inFlight = undefined;
      }
    })();
    return this.inFlight;
  }
}
