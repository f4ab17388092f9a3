import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import {
  BackupSource, CameraBackupSource, REGISTRY_CHANGED_SUBJECT, REGISTRY_PREFIX, RegistryChanged, StreamConfig, decodeStatus, encodeJson, ingestStatusKey, registryKey, rtmpKeyStoreKey, isPublishedSource, publishedKey,
} from '@streamgate/contracts';
import {
  CameraUrlRefused, SecretKeyError, ServiceContext, StreamConfigDecoder, encodeStreamConfig, storedEntryNeedsReseal,
} from '@streamgate/platform';
import { splitUserinfo } from '@streamgate/protocol-rtsp';
import { SERVICE_CONTEXT } from '../common/service-context.token';
import { StreamBody, bodySources } from './stream-body';

/**
 * The camera registry (`streams/<name>` in the store). Every change is announced on
 * `registry.streams.changed` so ingest reconciles at once instead of waiting for its poll.
 */
@Injectable()
export class StreamsService {
  /** The registry is listed on every gauge refresh and GET: unchanged entries are not decoded again. */
  private readonly decoder: StreamConfigDecoder;

  constructor(@Inject(SERVICE_CONTEXT) private readonly ctx: ServiceContext) {
    this.decoder = new StreamConfigDecoder(ctx.secrets);
  }

  async list(): Promise<StreamConfig[]> {
    const out: StreamConfig[] = [];
    const entries = await this.ctx.store.list(REGISTRY_PREFIX);
    for (const { key, value } of entries) {
      const parsed = this.parse(key, value);
      if (parsed) out.push(parsed);
    }
    this.decoder.retain(new Set(entries.map((e) => e.key)));
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
    if (!existing && !this.ctx.config.SOURCE_NAMES_SHARED && (await this.isRtmpName(body.name))) {
      throw new ConflictException(`${body.name} is an RTMP stream key: a camera cannot take its name (SOURCE_NAMES_SHARED=true allows it)`);
    }
    // The one userinfo splitter (protocol-rtsp): the URL stored and shown never carries it.
    const sources = bodySources(body);
    const { url, username = null, password = null } = splitUserinfo(sources.primary);
    await this.checkUrl(url, 'rtsp_url');
    const backups: BackupSource[] = [];
    for (const [i, raw] of sources.backups.entries()) {
      const key = publishedKey(raw);
      if (key !== undefined) {
        backups.push({ publish: key });
        continue;
      }
      const backup = splitUserinfo(raw);
      // The SSRF guard applies to every source, as ingest applies it on every connect.
      await this.checkUrl(backup.url, `sources[${i + 1}]`);
      // A backup sent again without credentials keeps those stored for the same URL.
      const stored = upsert ? existing?.backup_sources.find((b): b is CameraBackupSource => !isPublishedSource(b) && b.rtsp_url === backup.url) : undefined;
      backups.push({
        rtsp_url: backup.url,
        username: backup.username ?? stored?.username ?? null,
        password: backup.password ?? stored?.password ?? null,
      });
    }
    // Stored credentials stay with the camera they were given for: a new host (or scheme or
    // port) gets them only when they are sent again, or they would be sent to that host.
    const keep = upsert && existing !== undefined && sameOrigin(existing.rtsp_url, url);
    const now = Date.now() / 1000;
    const config = StreamConfig.parse({
      name: body.name,
      rtsp_url: url,
      channel: body.channel ?? null,
      subtype: body.subtype ?? null,
      // Credentials in the URL win over none; explicit fields win over the URL's.
      username: body.username ?? username ?? (keep ? existing?.username : null) ?? null,
      password: body.password ?? password ?? (keep ? existing?.password : null) ?? null,
      enabled: body.enabled ?? true,
      transport: body.transport ?? 'auto',
      tls_verify: body.tls_verify ?? true,
      backup_sources: backups,
      switch_back_after: body.switch_back_after,
      on_demand: body.on_demand ?? false,
      on_demand_start_timeout: body.on_demand_start_timeout,
      on_demand_close_after: body.on_demand_close_after,
      created_at: existing?.created_at ?? now,
      updated_at: now,
    });
    await this.write(config);
    const action = existing ? 'updated' : 'created';
    this.announce(config.name, action);
    return { config, action };
  }

  async setEnabled(name: string, enabled: boolean): Promise<StreamConfig> {
    const config = await this.require(name);
    const next = { ...config, enabled, updated_at: Date.now() / 1000 };
    await this.write(next);
    this.announce(name, enabled ? 'started' : 'stopped');
    return next;
  }

  async remove(name: string): Promise<void> {
    await this.require(name);
    await this.ctx.store.delete(registryKey(name));
    this.announce(name, 'deleted');
  }

  /**
   * Seals again every entry whose credentials are plaintext (from before encryption) or sealed
   * with a previous key (SECRETS_KEY rotation). Returns how many entries were rewritten.
   */
  async resealAll(): Promise<number> {
    let count = 0;
    for (const { key, value } of await this.ctx.store.list(REGISTRY_PREFIX)) {
      if (!storedEntryNeedsReseal(value, this.ctx.secrets)) continue;
      const config = this.parse(key, value);
      if (!config) continue;
      await this.write(config);
      count++;
    }
    return count;
  }

  /** The camera URL guard (SSRF): a refused URL is a 400 naming why. */
  private async checkUrl(url: string, field: string): Promise<void> {
    try {
      await this.ctx.cameraGuard.check(url);
    } catch (err) {
      if (err instanceof CameraUrlRefused) throw new BadRequestException(`${field}: ${err.message}`);
      throw err;
    }
  }

  private async write(config: StreamConfig): Promise<void> {
    let value: string;
    try {
      value = encodeStreamConfig(config, this.ctx.secrets);
    } catch (err) {
      if (err instanceof SecretKeyError) throw new BadRequestException(err.message);
      throw err;
    }
    await this.ctx.store.set(registryKey(config.name), value);
  }

  /** A source name belongs to its kind: a registered or live RTMP key is not a camera's to take. */
  private async isRtmpName(name: string): Promise<boolean> {
    if ((await this.ctx.store.get(rtmpKeyStoreKey(name))) !== undefined) return true;
    // An unreadable status names no source.
    return decodeStatus('ingest', await this.ctx.store.get(ingestStatusKey(name)))?.source === 'rtmp';
  }

  private announce(name: string, action: RegistryChanged['action']): void {
    this.ctx.bus.publish(REGISTRY_CHANGED_SUBJECT, encodeJson(RegistryChanged, { name, action }));
  }

  private parse(key: string, value: string): StreamConfig | undefined {
    try {
      return this.decoder.decode(key, value);
    } catch (err) {
      this.ctx.logger.warn({ key, reason: (err as Error).message }, 'ignoring invalid registry entry');
      return undefined;
    }
  }
}

/** Same scheme, host and port: where the stored credentials were meant to go. */
function sameOrigin(a: string, b: string): boolean {
  const x = new URL(a);
  const y = new URL(b);
  const port = (u: URL): string => u.port || (u.protocol === 'rtsps:' ? '322' : '554');
  return x.protocol === y.protocol && x.hostname.toLowerCase() === y.hostname.toLowerCase() && port(x) === port(y);
}
