/**
 * Decides publishes for RTMP sessions and owns the live publications of this process:
 * the source-kind rule (a camera's name is not publishable), access control (the key's token
 * from POST /start, or `?user=&pass=` / a JWT checked by AccessControl), the optional
 * known-key check, single publisher per stream (PublisherRegistry), generation.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AccessControl, Bus, Logger, StateStore, StatusMetrics } from '@streamgate/platform';
import { RtmpKeyRecord, registryKey, rtmpKeyStoreKey } from '@streamgate/contracts';
import type { PublishDecision, PublishGate, PublishRequest } from './publish-gate';
import type { PublisherRegistry } from './publisher-registry';
import { RtmpPublication } from './rtmp-publication';

export interface BusPublishGateOptions {
  bus: Bus;
  store: StateStore;
  logger: Logger;
  registry: PublisherRegistry;
  /** Accept only keys enabled through the API (`rtmp-keys/<key>` with "enabled": true). */
  requireKnownKeys: boolean;
  access: AccessControl;
  /** SOURCE_NAMES_SHARED: a camera's name may be published to. Off by default (path hijack). */
  sourceNamesShared: boolean;
  statusMetrics?: StatusMetrics;
}

export class BusPublishGate implements PublishGate {
  private readonly live = new Map<string, RtmpPublication>();

  constructor(private readonly options: BusPublishGateOptions) {}

  async begin(request: PublishRequest): Promise<PublishDecision> {
    const { stream, sessionId } = request;
    if (!this.options.sourceNamesShared && (await this.options.store.get(registryKey(stream))) !== undefined) {
      this.options.logger.warn({ stream, ip: request.ip }, 'rtmp publish to a camera name refused');
      return { accepted: false, reason: `${stream} is a camera's name: it cannot be published to over RTMP`, rejected: true };
    }
    const refusal = await this.authorize(request);
    if (refusal) return { accepted: false, reason: refusal, rejected: true };
    if (!(await this.options.registry.claim(stream, sessionId))) {
      return { accepted: false, reason: `${stream} is already being published` };
    }
    let generation: number;
    try {
      generation = await this.options.registry.nextGeneration(stream);
    } catch (err) {
      // Without this the claim (and its renewals) would outlive the refused session.
      await this.options.registry.release(stream, sessionId);
      throw err;
    }
    const publication = new RtmpPublication({
      stream,
      app: request.app,
      generation,
      bus: this.options.bus,
      store: this.options.store,
      logger: this.options.logger,
      disconnect: request.disconnect,
      statusMetrics: this.options.statusMetrics,
      onEnded: async (p) => {
        if (this.live.get(stream) === p) this.live.delete(stream);
        await this.options.registry.release(stream, sessionId);
      },
    });
    this.live.set(stream, publication);
    publication.start();
    return { accepted: true, publication };
  }

  publication(stream: string): RtmpPublication | undefined {
    return this.live.get(stream);
  }

  publications(): RtmpPublication[] {
    return [...this.live.values()];
  }

  /** Disconnects the publisher of `stream`; false when this process has none. */
  kick(stream: string, reason: string): boolean {
    const p = this.live.get(stream);
    if (!p) return false;
    p.disconnect(reason);
    return true;
  }

  /**
   * Undefined when the publish may go on, else the reason for NetStream.Publish.Rejected.
   * The key's own token (POST /start) is enough by itself; otherwise RTMP_REQUIRE_KNOWN_KEYS
   * asks for a registered key, and the users list / AUTH_HTTP_URL / JWT decide `publish`.
   */
  private async authorize(request: PublishRequest): Promise<string | undefined> {
    const { stream, credentials } = request;
    const base = { action: 'publish' as const, path: stream, protocol: 'rtmp' as const, ip: request.ip };
    const record = await this.keyRecord(stream);
    let token = credentials.token;
    if (token !== undefined && record?.enabled && record.token_sha256 !== undefined) {
      const given = createHash('sha256').update(token).digest();
      if (timingSafeEqual(given, Buffer.from(record.token_sha256, 'hex'))) return undefined;
      if (this.options.access.authMethod !== 'jwt') {
        this.options.access.recordFailure(base, 'invalid-token', credentials.user);
        return `wrong token for stream key ${stream}`;
      }
    }
    if (this.options.requireKnownKeys && !record?.enabled) {
      this.options.access.recordFailure(base, 'no-permission', credentials.user);
      return `stream key for ${stream} is not enabled on this server`;
    }
    // A token that is not the key's goes to AccessControl only when it can be a JWT.
    if (this.options.access.authMethod !== 'jwt') token = undefined;
    if (!this.options.access.restricted) return undefined;
    const decision = await this.options.access.authorize({
      ...base, user: credentials.user, pass: credentials.pass, token, id: request.sessionId, query: credentials.query,
    });
    if (decision.allowed) return undefined;
    if (decision.status === 403) return `not allowed to publish ${stream}`;
    return decision.reason === 'missing-credentials'
      ? `publishing ${stream} needs credentials: add ?user=<user>&pass=<password> or ?token=<token from POST /start> to the stream key`
      : `authentication failed for ${stream}`;
  }

  private async keyRecord(stream: string): Promise<RtmpKeyRecord | undefined> {
    const raw = await this.options.store.get(rtmpKeyStoreKey(stream));
    if (raw === undefined) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      this.options.logger.warn({ stream, err }, 'stored RTMP key record is not JSON');
      return undefined;
    }
    const parsed = RtmpKeyRecord.safeParse(value);
    return parsed.success ? parsed.data : undefined;
  }
}
