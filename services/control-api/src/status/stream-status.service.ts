import { Inject, Injectable } from '@nestjs/common';
import {
  EgressStatusRecord, IngestStatusRecord, PacketizerStatusRecord, STATUS_PREFIX, decodeStatus, parseStatusKey,
} from '@streamgate/contracts';
import type { ServiceContext, StoreEntry } from '@streamgate/platform';
import { SERVICE_CONTEXT } from '../common/service-context.token';

/** The status of one stream as each service last wrote it (`status/<s>/<service>`), decoded by its schema. */
export interface StreamStatusParts {
  name: string;
  ingest?: IngestStatusRecord;
  packetizer?: PacketizerStatusRecord;
  egress?: EgressStatusRecord;
}

@Injectable()
export class StreamStatusService {
  constructor(@Inject(SERVICE_CONTEXT) private readonly ctx: ServiceContext) {}

  async all(): Promise<StreamStatusParts[]> {
    return this.group(await this.ctx.store.list(STATUS_PREFIX));
  }

  /** One stream's parts: reads only `status/<name>/`. */
  async one(name: string): Promise<StreamStatusParts | undefined> {
    return this.group(await this.ctx.store.list(`${STATUS_PREFIX}${name}/`))[0];
  }

  /** A record that does not decode (unreadable, or not this service's shape) counts as absent. */
  private group(entries: StoreEntry[]): StreamStatusParts[] {
    const byName = new Map<string, StreamStatusParts>();
    for (const { key, value } of entries) {
      const at = parseStatusKey(key);
      if (!at) continue;
      let parts = byName.get(at.stream);
      if (!parts) byName.set(at.stream, (parts = { name: at.stream }));
      if (at.service === 'ingest') parts.ingest = this.decoded(key, decodeStatus('ingest', value));
      else if (at.service === 'packetizer') parts.packetizer = this.decoded(key, decodeStatus('packetizer', value));
      else parts.egress = this.decoded(key, decodeStatus('rtsp-egress', value));
    }
    return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  private decoded<T>(key: string, status: T | undefined): T | undefined {
    if (status === undefined) this.ctx.logger.warn({ key }, 'ignoring a status record that does not match its schema');
    return status;
  }
}
