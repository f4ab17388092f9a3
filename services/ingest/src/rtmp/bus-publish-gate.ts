/**
 * Decides publishes for RTMP sessions and owns the live publications of this process:
 * optional known-key check, single publisher per stream (PublisherRegistry), generation.
 */
import type { Bus, Logger, StateStore, StatusMetrics } from '@streamgate/platform';
import { z } from 'zod';
import { rtmpKeyStoreKey } from '@streamgate/contracts';
import type { PublishDecision, PublishGate, PublishRequest } from './publish-gate';
import type { PublisherRegistry } from './publisher-registry';
import { RtmpPublication } from './rtmp-publication';

const KnownKey = z.object({ enabled: z.literal(true) }).passthrough();

export interface BusPublishGateOptions {
  bus: Bus;
  store: StateStore;
  logger: Logger;
  registry: PublisherRegistry;
  /** Accept only keys enabled through the API (`rtmp-keys/<key>` with "enabled": true). */
  requireKnownKeys: boolean;
  statusMetrics?: StatusMetrics;
}

export class BusPublishGate implements PublishGate {
  private readonly live = new Map<string, RtmpPublication>();

  constructor(private readonly options: BusPublishGateOptions) {}

  async begin(request: PublishRequest): Promise<PublishDecision> {
    const { stream, sessionId } = request;
    if (this.options.requireKnownKeys && !(await this.isKnownKey(stream))) {
      return { accepted: false, reason: `stream key for ${stream} is not enabled on this server` };
    }
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

  private async isKnownKey(stream: string): Promise<boolean> {
    const raw = await this.options.store.get(rtmpKeyStoreKey(stream));
    if (raw === undefined) return false;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      this.options.logger.warn({ stream, err }, 'stored RTMP key record is not JSON');
      return false;
    }
    return KnownKey.safeParse(value).success;
  }
}
