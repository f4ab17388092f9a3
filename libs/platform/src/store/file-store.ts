import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic-file';
import { MemoryStateStore } from './memory-store';

export class StateFileError extends Error {
  constructor(readonly path: string, detail: string) {
    super(`state file ${path}: ${detail}`);
    this.name = 'StateFileError';
  }
}

/**
 * The embedded store: memory, with the keys under `persistPrefixes` (the stream registry and
 * RTMP keys; never live status or leases) written to one JSON file on every change. Writes
 * go to a temporary file that is renamed over the old one, so a crash never leaves half a file.
 */
export class FileBackedStateStore extends MemoryStateStore {
  override readonly driver = 'memory+file';

  constructor(readonly path: string, private readonly persistPrefixes: readonly string[], now?: () => number) {
    super(now);
    this.load();
  }

  protected override changed(key: string): void {
    if (!this.persistPrefixes.some((p) => key.startsWith(p))) return;
    const entries: Record<string, string> = {};
    for (const [k, slot] of this.slots) {
      if (slot.expiresAt === Infinity && this.persistPrefixes.some((p) => k.startsWith(p))) entries[k] = slot.value;
    }
    writeFileAtomic(this.path, `${JSON.stringify({ version: 1, entries }, null, 2)}\n`);
  }

  private load(): void {
    if (!existsSync(this.path)) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (err) {
      throw new StateFileError(this.path, `not valid JSON (${(err as Error).message}); fix or remove it`);
    }
    const entries = (parsed as { entries?: unknown }).entries;
    if (!entries || typeof entries !== 'object') throw new StateFileError(this.path, 'missing "entries" object');
    for (const [k, v] of Object.entries(entries)) {
      if (typeof v === 'string') this.slots.set(k, { value: v, expiresAt: Infinity });
    }
  }
}
