import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { IngestSubjects, RTMP_KEYS_PREFIX, RtmpKeyRecord, rtmpKeyStoreKey } from '@streamgate/contracts';
import type { ServiceContext } from '@streamgate/platform';
import type { ClientProxy } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { CONTROL_CLIENT } from '../common/control-client.token';
import { SERVICE_CONTEXT } from '../common/service-context.token';

export type { RtmpKeyRecord } from '@streamgate/contracts';

const encoder = new TextEncoder();

/** Registered RTMP stream keys (`rtmp-keys/<key>` in the store; ingest reads them). */
@Injectable()
export class RtmpKeysService {
  constructor(@Inject(SERVICE_CONTEXT) private readonly ctx: ServiceContext, @Inject(CONTROL_CLIENT) private readonly control: ClientProxy) {}

  /**
   * Enables the key and issues a new publish token (the previous one stops working). The token
   * is returned here once; only its SHA-256 is stored.
   */
  async enable(key: string): Promise<{ record: RtmpKeyRecord; token: string }> {
    const now = Date.now() / 1000;
    const existing = await this.get(key);
    const token = randomBytes(24).toString('base64url');
    const record: RtmpKeyRecord = {
      enabled: true, created_at: existing?.created_at ?? now, updated_at: now, token_sha256: createHash('sha256').update(token).digest('hex'),
    };
    await this.ctx.store.set(rtmpKeyStoreKey(key), JSON.stringify(record));
    return { record, token };
  }

  /** Disables the key and disconnects its publisher; true when a publisher was connected. */
  async disable(key: string): Promise<{ known: boolean; disconnected: boolean }> {
    const existing = await this.get(key);
    if (existing) {
      await this.ctx.store.set(rtmpKeyStoreKey(key), JSON.stringify({ ...existing, enabled: false, updated_at: Date.now() / 1000 }));
    }
    let disconnected = false;
    try {
      // ingest's `ingest.rtmp.kick` message pattern.
      const reply = await lastValueFrom(this.control.send<Uint8Array>(IngestSubjects.rtmpKick, encoder.encode(JSON.stringify({ stream: key }))));
      disconnected = (JSON.parse(new TextDecoder().decode(reply)) as { ok?: boolean }).ok === true;
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
