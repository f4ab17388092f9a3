import { Inject, Injectable } from '@nestjs/common';
import type { ServiceContext, StoreEntry } from '@streamgate/platform';
import { SERVICE_CONTEXT } from '../common/service-context.token';

export type StatusPart = Record<string, unknown>;

/** The status of one stream as each service last wrote it (`status/<s>/<service>`). */
export interface StreamStatusParts {
  name: string;
  ingest?: StatusPart;
  packetizer?: StatusPart;
  egress?: StatusPart;
}

@Injectable()
export class StreamStatusService {
  constructor(@Inject(SERVICE_CONTEXT) private readonly ctx: ServiceContext) {}

  async all(): Promise<StreamStatusParts[]> {
    return this.group(await this.ctx.store.list('status/'));
  }

  /** One stream's parts: reads only `status/<name>/`. */
  async one(name: string): Promise<StreamStatusParts | undefined> {
    return this.group(await this.ctx.store.list(`status/${name}/`))[0];
  }

  private group(entries: StoreEntry[]): StreamStatusParts[] {
    const byName = new Map<string, StreamStatusParts>();
    for (const { key, value } of entries) {
      const [, name, service] = key.split('/');
      if (!name || !service) continue;
      let parts = byName.get(name);
      if (!parts) byName.set(name, (parts = { name }));
      const parsed = this.parse(value);
      if (!parsed) continue;
      if (service === 'ingest') parts.ingest = parsed;
      else if (service === 'packetizer') parts.packetizer = parsed;
      else if (service === 'rtsp-egress') parts.egress = parsed;
    }
    return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  private parse(value: string): StatusPart | undefined {
    try {
      const v: unknown = JSON.parse(value);
      return v && typeof v === 'object' ? (v as StatusPart) : undefined;
    } catch (err) {
      this.ctx.logger.warn({ err }, 'ignoring unparsable status entry');
      return undefined;
    }
  }
}
