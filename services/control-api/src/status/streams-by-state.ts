import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { ServiceContext } from '@streamgate/platform';
import { SERVICE_CONTEXT } from '../common/service-context.token';
import { StreamsService } from '../streams/streams.service';
import { streamView } from '../streams/stream-view';
import { StreamStatusService } from './stream-status.service';

/** The states of `streamgate_streams` (the overview dashboard's "streams by state"). */
export const STREAM_STATES = ['up', 'down', 'disabled'] as const;
export type StreamState = (typeof STREAM_STATES)[number];

/** How often the gauge is recomputed from the registry and the live status. */
const REFRESH_MS = 2000;

/**
 * Sets `streamgate_streams{state}` from the same registry and status that GET /api/streams
 * shows (one stream view, so the gauge and the API agree): `up` = playing or publishing,
 * `down` = enabled but not delivering, `disabled` = a camera that is stopped. The control API
 * owns it because it is the one service that reads every stream's status (each pod's gauge is
 * the same figure; the dashboard takes `max by (state)`).
 */
@Injectable()
export class StreamsByStateGauge implements OnModuleInit, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(SERVICE_CONTEXT) private readonly ctx: ServiceContext,
    private readonly streams: StreamsService,
    private readonly status: StreamStatusService,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      this.refresh().catch((err: unknown) => this.ctx.logger.warn({ err }, 'streams-by-state gauge refresh failed'));
    }, REFRESH_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  async counts(): Promise<Record<StreamState, number>> {
    const configs = await this.streams.list();
    const statuses = await this.status.all();
    const configByName = new Map(configs.map((c) => [c.name, c]));
    const statusByName = new Map(statuses.map((s) => [s.name, s]));
    const names = new Set([...configByName.keys(), ...statuses.filter((s) => s.ingest).map((s) => s.name)]);
    const counts: Record<StreamState, number> = { up: 0, down: 0, disabled: 0 };
    for (const name of names) {
      const view = streamView(name, configByName.get(name), statusByName.get(name), '');
      counts[view.enabled === false ? 'disabled' : view.playing === true ? 'up' : 'down']++;
    }
    return counts;
  }

  async refresh(): Promise<void> {
    const counts = await this.counts();
    for (const state of STREAM_STATES) this.ctx.metrics.streams.set({ state }, counts[state]);
  }
}
