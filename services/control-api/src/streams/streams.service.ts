import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import {
  REGISTRY_CHANGED_SUBJECT, REGISTRY_PREFIX, RegistryChanged, StreamConfig, encodeJson, registryKey, splitUrlCredentials,
} from '@streamgate/contracts';
import type { ServiceContext } from '@streamgate/platform';
import { SERVICE_CONTEXT } from '../common/service-context.token';
import type { StreamBody } from './stream-body';

/**
 * The camera registry (`streams/<name>` in the store). Every change is announced on
 * `registry.streams.changed` so ingest reconciles at once instead of waiting for its poll.
 */
@Injectable()
export class StreamsService {
  constructor(@Inject(SERVICE_CONTEXT) private readonly ctx: ServiceContext) {}

  async list(): Promise<StreamConfig[]> {
    const out: StreamConfig[] = [];
    for (const { key, value } of await this.ctx.store.list(REGISTRY_PREFIX)) {
      const parsed = this.parse(key, value);
      if (parsed) out.push(parsed);
    }
    return out;
  }

  async get(name: string): Promise<StreamConfig | undefined> {
    const raw = await this.ctx.store.get(registryKey(name));
    return raw === undefined ? undefined : this.parse(registryKey(name), raw);
  }

  async require(name: string): Promise<StreamConfig> {
    const config = await this.get(name);
    if (!config) throw new NotFoundException(`stream ${name} not found`);
    return config;
  }

  /** 409 when the name exists (unless `upsert`); returns the stored entry and what happened. */
  async save(body: StreamBody, upsert: boolean): Promise<{ config: StreamConfig; action: 'created' | 'updated' }> {
    const existing = await this.get(body.name);
    if (existing && !upsert) throw new ConflictException(`stream ${body.name} already exists`);
    const { url, username, password } = splitUrlCredentials(body.rtsp_url);
    const now = Date.now() / 1000;
    const config = StreamConfig.parse({
      name: body.name,
      rtsp_url: url,
      channel: body.channel ?? null,
      subtype: body.subtype ?? null,
      // Credentials in the URL win over none; explicit fields win over the URL's.
      username: body.username ?? username ?? (upsert ? existing?.username : null) ?? null,
      password: body.password ?? password ?? (upsert ? existing?.password : null) ?? null,
      enabled: body.enabled ?? true,
      transport: body.transport ?? 'auto',
      created_at: existing?.created_at ?? now,
      updated_at: now,
    });
    await this.ctx.store.set(registryKey(config.name), JSON.stringify(config));
    const action = existing ? 'updated' : 'created';
    this.announce(config.name, action);
    return { config, action };
  }

  async setEnabled(name: string, enabled: boolean): Promise<StreamConfig> {
    const config = await this.require(name);
    const next = { ...config, enabled, updated_at: Date.now() / 1000 };
    await this.ctx.store.set(registryKey(name), JSON.stringify(next));
    this.announce(name, enabled ? 'started' : 'stopped');
    return next;
  }

  async remove(name: string): Promise<void> {
    await this.require(name);
    await this.ctx.store.delete(registryKey(name));
    this.announce(name, 'deleted');
  }

  private announce(name: string, action: RegistryChanged['action']): void {
    this.ctx.bus.publish(REGISTRY_CHANGED_SUBJECT, encodeJson(RegistryChanged, { name, action }));
  }

  private parse(key: string, value: string): StreamConfig | undefined {
    try {
      const parsed = StreamConfig.safeParse(JSON.parse(value));
      if (parsed.success) return parsed.data;
      this.ctx.logger.warn({ key, issue: parsed.error.issues[0]?.message }, 'ignoring invalid registry entry');
    } catch (err) {
      this.ctx.logger.warn({ key, err: (err as Error).message }, 'ignoring unparsable registry entry');
    }
    return undefined;
  }
}
