import { createHash } from 'node:crypto';
import { FSWatcher, existsSync, readFileSync, watch } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from '../logging/logger';
import { ConfigError } from './config';

/**
 * The config file (`config.json`, STREAMS_CONFIG) and its hot reload, in one place: read and
 * parsed at start, re-read when the file changes (fs watch on its folder, so editors that
 * replace the file and Kubernetes ConfigMap symlink swaps are seen) or on SIGHUP. Parts of the
 * gateway subscribe to it (the control API for `streams`; users and permissions for theirs):
 * a new file is applied only when every subscriber accepts its part, else it is refused with
 * the reason logged and the running config stays as it was. /work/team/reload-api.md shows a
 * subscriber.
 */

/** What the file says, parsed. */
export interface ConfigDocument {
  readonly path: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** Why a document is being applied. */
export type ReloadTrigger = 'boot' | 'file-changed' | 'SIGHUP' | 'request';

export interface ConfigFileSubscriber<P = unknown> {
  /** The part of the file it owns, for logs ("streams", "users"). */
  readonly name: string;
  /** Checks its part and returns what `apply` needs; throws (a ConfigError naming the field) to refuse the whole file. */
  prepare(doc: ConfigDocument, trigger: ReloadTrigger): P | Promise<P>;
  /** Applies its prepared part; called once every subscriber's prepare succeeded, in subscription order. */
  apply(prepared: P, trigger: ReloadTrigger): void | Promise<void>;
}

export type ReloadOutcome =
  | { readonly status: 'applied' | 'unchanged' }
  | { readonly status: 'missing' }
  | { readonly status: 'refused'; readonly reason: string };

export interface ConfigFileReloaderOptions {
  /** The file; relative paths are resolved against the working directory. */
  readonly path: string;
  /** Whether the file must exist (STREAMS_CONFIG named it), or is read only when present (./config.json). */
  readonly required: boolean;
  readonly logger: Logger;
  /** Quiet time after the last change event before the file is read. Default 200 ms. */
  readonly debounceMs?: number;
}

/** Largest config file read, bytes: a config is small, a runaway file must not fill memory. */
export const MAX_CONFIG_FILE_BYTES = 8 << 20;

/**
 * Reads a JSON config file. A parse error names the file and the position only: the parser's
 * message quotes the text around the error, which may be a password.
 */
export function readJsonConfigFile(path: string): Record<string, unknown> {
  const text = readFileSync(path);
  if (text.byteLength > MAX_CONFIG_FILE_BYTES) throw new ConfigError(`${path}: larger than ${MAX_CONFIG_FILE_BYTES} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.toString('utf8'));
  } catch (err) {
    const where = /position \d+/.exec((err as Error).message)?.[0] ?? 'unparsable';
    throw new ConfigError(`${path}: not valid JSON (${where})`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`${path}: expected a JSON object such as {"streams": [...]}`);
  return parsed as Record<string, unknown>;
}

export class ConfigFileReloader {
  readonly path: string;
  private readonly subscribers: ConfigFileSubscriber[] = [];
  private document: ConfigDocument | undefined;
  private digest: string | undefined;
  private watcher: FSWatcher | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private running: Promise<ReloadOutcome> | undefined;
  private pending: ReloadTrigger | undefined;
  private readonly onSighup = (): void => void this.reload('SIGHUP');

  /** Reads the file now: a missing required file or a file that does not parse stops the start. */
  constructor(private readonly options: ConfigFileReloaderOptions) {
    this.path = resolve(options.path);
    if (!existsSync(this.path)) {
      if (options.required) throw new ConfigError(`STREAMS_CONFIG=${options.path}: file not found`);
      return;
    }
    const { doc, digest } = this.read();
    this.document = doc;
    this.digest = digest;
  }

  /** The document applied last (or read at start); undefined when there is no file. */
  current(): ConfigDocument | undefined {
    return this.document;
  }

  /**
   * Adds a subscriber and applies the current document to it at once ('boot'), so its part
   * is in force before the caller goes on (before a listener opens). A refusal at boot throws.
   */
  async subscribe<P>(subscriber: ConfigFileSubscriber<P>): Promise<() => void> {
    if (this.document) await subscriber.apply(await subscriber.prepare(this.document, 'boot'), 'boot');
    this.subscribers.push(subscriber as ConfigFileSubscriber);
    return () => {
      const i = this.subscribers.indexOf(subscriber as ConfigFileSubscriber);
      if (i >= 0) this.subscribers.splice(i, 1);
    };
  }

  /** Watches the file's folder and listens for SIGHUP. */
  start(): void {
    if (this.watcher) return;
    const dir = dirname(this.path);
    const name = basename(this.path);
    if (existsSync(dir)) {
      // A ConfigMap mount swaps the `..data` symlink; editors write a temp file and rename it.
      this.watcher = watch(dir, (_event, file) => {
        if (file === null || file === name || file === '..data') this.scheduleReload();
      });
      this.watcher.on('error', (err) => this.options.logger.warn({ err, file: this.path }, 'config file watch failed; SIGHUP still reloads'));
    }
    process.on('SIGHUP', this.onSighup);
  }

  stop(): void {
    clearTimeout(this.debounce);
    this.watcher?.close();
    this.watcher = undefined;
    process.off('SIGHUP', this.onSighup);
  }

  /**
   * Re-reads the file and applies it when its bytes changed. Reloads never overlap: one asked
   * for while another runs happens after it.
   */
  reload(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    if (this.running) {
      this.pending = trigger;
      return this.running;
    }
    this.running = this.reloadOnce(trigger).finally(() => {
      this.running = undefined;
      const next = this.pending;
      this.pending = undefined;
      if (next) void this.reload(next);
    });
    return this.running;
  }

  private scheduleReload(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.reload('file-changed'), this.options.debounceMs ?? 200);
    this.debounce.unref();
  }

  private async reloadOnce(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    const log = this.options.logger;
    if (!existsSync(this.path)) {
      // A file being replaced is briefly absent; a deleted file keeps the running config.
      log.warn({ file: this.path, trigger }, 'config file is missing; the running config is kept');
      return { status: 'missing' };
    }
    let next: { doc: ConfigDocument; digest: string };
    try {
      next = this.read();
    } catch (err) {
      return this.refuse(trigger, err);
    }
    if (next.digest === this.digest && trigger === 'file-changed') return { status: 'unchanged' };
    const prepared: unknown[] = [];
    for (const s of this.subscribers) {
      try {
        prepared.push(await s.prepare(next.doc, trigger));
      } catch (err) {
        return this.refuse(trigger, err, s.name);
      }
    }
    this.document = next.doc;
    this.digest = next.digest;
    for (const [i, s] of this.subscribers.entries()) {
      try {
        await s.apply(prepared[i], trigger);
      } catch (err) {
        // Accepted but not fully applied (a store write failed): say so; the next reload retries.
        log.error({ file: this.path, trigger, part: s.name, err: err instanceof Error ? err.message : String(err) }, 'config reload: applying a part failed');
      }
    }
    log.info({ file: this.path, trigger, parts: this.subscribers.map((s) => s.name) }, 'config reloaded');
    return { status: 'applied' };
  }

  private refuse(trigger: ReloadTrigger, err: unknown, part?: string): ReloadOutcome {
    const reason = err instanceof Error ? err.message : String(err);
    this.options.logger.error({ file: this.path, trigger, part, reason }, 'config file refused; the running config is kept');
    return { status: 'refused', reason };
  }

  private read(): { doc: ConfigDocument; digest: string } {
    const data = readJsonConfigFile(this.path);
    return { doc: { path: this.path, data }, digest: createHash('sha256').update(JSON.stringify(data)).digest('hex') };
  }
}
