import { NotFoundException } from '@nestjs/common';
import { ConfigDocument, ConfigError, ConfigFileSubscriber, Logger, ReloadTrigger, readJsonConfigFile } from '@streamgate/platform';
import { existsSync } from 'node:fs';
import type { ConfigLoaderService } from './config-loader.service';
import { StreamBody } from './stream-body';
import type { StreamsService } from './streams.service';

/** The `streams` of one version of the file, credentials joined. */
export interface StreamsFilePart {
  readonly path: string;
  readonly entries: readonly unknown[];
}

const nameOf = (entry: unknown): string | undefined =>
  entry && typeof entry === 'object' && typeof (entry as { name?: unknown }).name === 'string' ? (entry as { name: string }).name : undefined;

/**
 * The `streams` of config.json ({"streams": [...]}, the POST /api/config/streams format) kept
 * in the registry, as a subscriber of the config file's reloader:
 * - at boot every entry is loaded, and a bad entry is skipped with a warning (as before hot
 *   reload: there is no running config to keep);
 * - on a reload the file is refused whole when an entry is invalid (a typo must not remove a
 *   camera), else only what changed since the file was applied last is written: new and
 *   changed entries are saved, entries gone from the file are deleted, the rest is not touched
 *   (their pullers and readers go on). Streams added through the API are never removed by it.
 * Camera credentials may live apart (STREAMS_CREDENTIALS, a Secret), joined by name on every read.
 */
export class StreamsFileSubscriber implements ConfigFileSubscriber<StreamsFilePart> {
  readonly name = 'streams';
  /** Name → the entry as the file had it when applied last (JSON), for "did it change". */
  private applied = new Map<string, string>();

  constructor(
    private readonly loader: ConfigLoaderService,
    private readonly streams: StreamsService,
    private readonly logger: Logger,
    private readonly credentialsPath: string | undefined,
  ) {}

  prepare(doc: ConfigDocument, trigger: ReloadTrigger): StreamsFilePart {
    const raw = doc.data.streams ?? [];
    if (!Array.isArray(raw)) throw new ConfigError(`${doc.path}: expected {"streams": [...]}`);
    const entries = this.withCredentials(raw);
    if (trigger !== 'boot') {
      const seen = new Set<string>();
      entries.forEach((entry, i) => {
        const parsed = StreamBody.safeParse(entry);
        const name = nameOf(entry)?.slice(0, 64);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw new ConfigError(`${doc.path}: streams[${i}]${name ? ` (${name})` : ''}: ${issue.path.join('.') || 'entry'}: ${issue.message}`);
        }
        if (seen.has(parsed.data.name)) throw new ConfigError(`${doc.path}: streams[${i}]: name ${parsed.data.name} appears twice`);
        seen.add(parsed.data.name);
      });
    }
    return { path: doc.path, entries };
  }

  async apply(part: StreamsFilePart, trigger: ReloadTrigger): Promise<void> {
    const next = new Map<string, string>();
    const changed: unknown[] = [];
    for (const entry of part.entries) {
      const name = nameOf(entry);
      const json = JSON.stringify(entry);
      if (name !== undefined && trigger !== 'boot' && this.applied.get(name) === json) {
        next.set(name, json);
        continue;
      }
      changed.push(entry);
    }
    const results = await this.loader.load(changed);
    results.forEach((r, i) => {
      if (r.status === 'failed') {
        this.logger.warn({ stream: r.name, reason: r.reason, file: part.path }, 'stream in the config file was not loaded');
      } else if (r.name !== null) {
        next.set(r.name, JSON.stringify(changed[i]));
      }
    });
    const removed = trigger === 'boot' ? [] : [...this.applied.keys()].filter((n) => !part.entries.some((e) => nameOf(e) === n));
    for (const name of removed) {
      try {
        await this.streams.remove(name);
      } catch (err) {
        if (!(err instanceof NotFoundException)) throw err;
      }
    }
    this.applied = next;
    const names = (status: string) => results.filter((r) => r.status === status).map((r) => r.name);
    this.logger.info({
      file: part.path, trigger, created: names('created'), updated: names('updated'), removed,
      unchanged: part.entries.length - changed.length,
    }, trigger === 'boot' ? 'streams config loaded' : 'streams config reloaded');
  }

  private withCredentials(streams: readonly unknown[]): unknown[] {
    if (this.credentialsPath === undefined) return [...streams];
    if (!existsSync(this.credentialsPath)) throw new ConfigError(`STREAMS_CREDENTIALS=${this.credentialsPath}: file not found`);
    const list = readJsonConfigFile(this.credentialsPath).streams;
    if (!Array.isArray(list)) throw new ConfigError(`${this.credentialsPath}: expected {"streams": [...]}`);
    const byName = new Map<string, { username?: unknown; password?: unknown }>();
    for (const c of list) {
      const name = nameOf(c);
      if (name !== undefined) byName.set(name, c as object);
    }
    return streams.map((s) => {
      const creds = byName.get(String(nameOf(s)));
      if (!s || typeof s !== 'object' || !creds) return s;
      return { ...s, ...(creds.username !== undefined ? { username: creds.username } : {}), ...(creds.password !== undefined ? { password: creds.password } : {}) };
    });
  }
}
