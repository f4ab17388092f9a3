import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import { IngestSubjects, RTMP_KEYS_PREFIX, rtmpKeyStoreKey } from '@streamgate/contracts';
import type { ServiceContext } from '@streamgate/platform';
import { SERVICE_CONTEXT } from '../common/service-context.token';

const RtmpKeyRecord = z.object({ enabled: z.boolean(), created_at: z.number(), updated_at: z.number() });
export type RtmpKeyRecord = z.infer<typeof RtmpKeyRecord>;

const encoder = new TextEncoder();

/** Registered RTMP stream keys (`rtmp-keys/<key>` in the store; ingest reads them). */
@Injectable()
export class RtmpKeysService {
  constructor(@Inject(SERVICE_CONTEXT) private readonly ctx: ServiceContext) {}

  async enable(key: string): Promise<RtmpKeyRecord> {
    const now = Date.now() / 1000;
    const existing = await this.get(key);
    const record: RtmpKeyRecord = { enabled: true, created_at: existing?.created_at ?? now, updated_at: now };
    await this.ctx.store.set(rtmpKeyStoreKey(key), JSON.stringify(record));
    return record;
  }

  /** Disables the key and disconnects its publisher; true when a publisher was connected. */
  async disable(key: string): Promise<{ known: boolean; disconnected: boolean }> {
    const existing = await this.get(key);
    if (existing) {
      await this.ctx.store.set(rtmpKeyStoreKey(key), JSON.stringify({ ...existing, enabled: false, updated_at: Date.now() / 1000 }));
    }
    let disconnected = false;
    try {
      const reply = await this.ctx.bus.request(IngestSubjects.rtmpKick, encoder.encode(JSON.stringify({ stream: key })), { timeoutMs: 2000 });
      disconnected = (JSON.parse(new TextDecoder().decode(reply.data)) as { ok?: boolean }).ok === true;
    } catch (err) {
      this.ctx.logger.warn({ err, stream: key }, 'could not ask ingest to disconnect the publisher');
    }
    return { known: existing !== undefined, disconnected };
  }

  async get(key: string): Promise<RtmpKeyRecord | undefined> {
    const raw = await this.ctx.store.get(rtmpKeyStoreKey(key));
    if (!raw) return undefined;
    const parsed = RtmpKeyRecord.safeParse(safeJson(raw));
    return parsed.success ? parsed.data : undefined;
  }

  async all(): Promise<Map<string, RtmpKeyRecord>> {
    const out = new Map<string, RtmpKeyRecord>();
    for (const { key, value } of await this.ctx.store.list(RTMP_KEYS_PREFIX)) {
      const parsed = RtmpKeyRecord.safeParse(safeJson(value));
      if (parsed.success) out.set(key.slice(RTMP_KEYS_PREFIX.length), parsed.data);
    }
    return out;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
