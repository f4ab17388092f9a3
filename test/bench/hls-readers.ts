/**
 * HTTP clients of an HLS origin for the HLS benchmark, and the mirror that copies our server's
 * output into files for nginx to serve (the peer). All of them read the playlist text our
 * server wrote, so the same URIs work against both origins.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Stop {
  done: boolean;
}

/** Requests answered and body bytes read, shared by the readers of one server. */
export interface Served {
  requests: number;
  bytes: number;
  /** Requests that failed (refused, reset) or answered other than 2xx. */
  errors: number;
  /** Why, counted: `404`, or the error's cause code (ECONNRESET, UND_ERR_SOCKET, ...). */
  reasons?: Map<string, number>;
}

function fail(served: Served | undefined, reason: string): void {
  if (!served) return;
  served.errors++;
  served.reasons?.set(reason, (served.reasons.get(reason) ?? 0) + 1);
}

async function get(url: string, served?: Served): Promise<{ ok: boolean; text: () => string; bytes: Uint8Array }> {
  const res = await fetch(url).catch((e: unknown) => {
    const cause = e instanceof Error ? (e.cause as { code?: string } | undefined)?.code ?? e.message : String(e);
    fail(served, cause);
    throw e;
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (served) {
    served.requests++;
    served.bytes += bytes.byteLength;
    if (!res.ok) fail(served, String(res.status));
  }
  return { ok: res.ok, text: () => Buffer.from(bytes).toString('utf8'), bytes };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const PRELOAD_PART = /PRELOAD-HINT:TYPE=PART,URI="([^"]+_part(\d+)_(\d+)\.mp4)"/;
const PART_URIS = /#EXT-X-PART:[^\n]*URI="([^"]+)"/g;
const MAP_URIS = /#EXT-X-MAP:URI="([^"]+)"/g;
const SEGMENT_URIS = /^([^#\n][^\n]*\.mp4)$/gm;

/**
 * An LL-HLS client as hls.js behaves at the live edge: a blocking playlist reload for the part
 * the preload hint names (`_HLS_msn`/`_HLS_part`) alongside the request for that part.
 * Needs a server that blocks (ours); nginx cannot.
 */
export async function blockingReader(base: string, stop: Stop, served?: Served, onPlaylist?: (text: string) => Promise<void>): Promise<void> {
  let text = '';
  while (!stop.done) {
    try {
      if (!text) text = (await get(`${base}stream.m3u8`, served)).text();
      await onPlaylist?.(text);
      const hint = PRELOAD_PART.exec(text);
      if (!hint) {
        text = '';
        await sleep(200);
        continue;
      }
      const [, res] = await Promise.all([
        onPlaylist ? Promise.resolve(undefined) : get(`${base}${hint[1]}`, served),
        get(`${base}stream.m3u8?_HLS_msn=${hint[2]}&_HLS_part=${hint[3]}`, served),
      ]);
      text = res.ok ? res.text() : '';
    } catch {
      // Counted in `served.errors`; start again from a plain playlist request, as hls.js does.
      text = '';
      await sleep(200);
    }
  }
}

/**
 * A client that any static origin can serve: it reloads the media playlist every `periodMs`
 * and fetches each part (`kind: 'part'`, an LL-HLS client without blocking reloads) or each
 * segment (`'segment'`, a plain HLS client) it has not fetched yet, starting at the live edge.
 */
export async function pollingReader(base: string, kind: 'part' | 'segment', periodMs: number, stop: Stop, served?: Served): Promise<void> {
  const seen = new Set<string>();
  let first = true;
  while (!stop.done) {
    const t0 = Date.now();
    try {
      const res = await get(`${base}stream.m3u8`, served);
      const text = res.ok ? res.text() : '';
      const uris = [...text.matchAll(kind === 'part' ? PART_URIS : SEGMENT_URIS)].map((m) => m[1]);
      const fresh = first ? uris.slice(-1) : uris.filter((u) => !seen.has(u));
      if (uris.length > 0) first = false;
      for (const u of fresh) {
        seen.add(u);
        await get(`${base}${u}`, served);
      }
      if (seen.size > 500) for (const u of [...seen].slice(0, 250)) seen.delete(u);
    } catch {
      // Counted in `served.errors`; the reader goes on, as a player retries.
    }
    await sleep(Math.max(0, periodMs - (Date.now() - t0)));
  }
}

/**
 * Copies what our server produces into `dir` as it produces it: the multivariant playlist
 * once, every init segment, part and segment the media playlist lists (each written before
 * the playlist that names it), then the media playlist text itself, unchanged. One blocking
 * LL-HLS reader on our server does it, so nginx serves the same bytes a moment later.
 */
export function mirrorHls(base: string, dir: string, stop: Stop): Promise<void> {
  /** File → when the playlist last listed it; files unlisted for 10 s are deleted. */
  const saved = new Map<string, number>();
  const save = (name: string, data: Uint8Array | string): void => {
    const tmp = join(dir, `.${name}.tmp`);
    writeFileSync(tmp, data);
    renameSync(tmp, join(dir, name));
  };
  return (async () => {
    save('index.m3u8', await (await fetch(`${base}index.m3u8`)).text());
    await blockingReader(base, stop, undefined, async (text) => {
      const uris = [MAP_URIS, PART_URIS, SEGMENT_URIS].flatMap((re) => [...text.matchAll(re)].map((m) => m[1]));
      const now = Date.now();
      for (const u of uris) {
        if (!saved.has(u)) {
          const res = await fetch(`${base}${u}`);
          if (!res.ok) continue;
          save(u, new Uint8Array(await res.arrayBuffer()));
        }
        saved.set(u, now);
      }
      save('stream.m3u8', text);
      for (const [u, at] of saved) {
        if (now - at < 10_000) continue;
        rmSync(join(dir, u), { force: true });
        saved.delete(u);
      }
    });
  })();
}
