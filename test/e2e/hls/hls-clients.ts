import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countFramecrc, spawnTracked, withTimeout } from '@streamgate/testing';
import { checkPlaylist, checkReloads, ParsedMediaPlaylist, Violation } from './playlist-rules';

/** Independent HLS consumers for the e2e tests: ffmpeg, ffprobe and plain HTTP fetches. */

export async function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = spawnTracked(cmd, args);
  const st = await withTimeout(p.exited, timeoutMs, `${cmd} ${args.join(' ')}`).catch(async (e: unknown) => {
    await p.kill();
    throw e;
  });
  return { code: st.code, stdout: p.stdout(), stderr: p.stderr() };
}

/** ffmpeg reads `url` (its own HLS demuxer) and decodes `seconds` of every stream: framecrc per frame. */
export async function ffmpegDecodeHls(url: string, seconds: number): Promise<{ video: number; audio: number; errors: string }> {
  const r = await run('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-i', url, '-map', '0', '-t', String(seconds), '-f', 'framecrc', '-'], seconds * 1000 + 30_000);
  assert.equal(r.code, 0, r.stderr);
  return { ...countFramecrc(r.stdout), errors: r.stderr.trim() };
}

export async function fetchText(url: string, init?: RequestInit): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(url, init);
  return { status: res.status, text: await res.text(), headers: res.headers };
}

export async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `${url}: ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

export function assertValid(text: string, what: string): ParsedMediaPlaylist | undefined {
  const { violations, media } = checkPlaylist(text);
  assert.deepEqual(violations, [], `${what} violates: ${JSON.stringify(violations)}\n${text}`);
  return media;
}

/**
 * Reads the media playlist `reloads` times the way an LL-HLS client does: each reload asks
 * (blocking) for the part its preload hint names. Checks every playlist and the reloads, and
 * that each blocking answer contains the part asked for (bis §6.2.5.2).
 */
export async function followLowLatency(base: string, reloads: number): Promise<{ playlists: ParsedMediaPlaylist[]; violations: Violation[]; waits: number[] }> {
  const playlists: ParsedMediaPlaylist[] = [];
  const waits: number[] = [];
  let text = (await fetchText(`${base}stream.m3u8`)).text;
  for (let i = 0; i < reloads; i++) {
    const media = assertValid(text, `media playlist reload ${i}`);
    assert.ok(media);
    playlists.push(media);
    const hint = media.preloadHints.find((h) => h.type === 'PART');
    assert.ok(hint, 'LL-HLS playlist has a PART preload hint');
    const m = /_part(\d+)_(\d+)\.mp4$/.exec(hint.uri);
    assert.ok(m, hint.uri);
    const t0 = Date.now();
    const res = await fetchText(`${base}stream.m3u8?_HLS_msn=${m[1]}&_HLS_part=${m[2]}`);
    waits.push(Date.now() - t0);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('content-type'), 'application/vnd.apple.mpegurl');
    text = res.text;
    assert.ok(text.includes(hint.uri.replace(/^.*\//, '')) || new RegExp(`_seg${m[1]}\\.mp4`).test(text), `blocking reload for ${hint.uri} returned it`);
  }
  return { playlists, violations: checkReloads(playlists), waits };
}

export interface ProbedPacket {
  codec_type: string;
  pts_time: string;
  duration_time?: string;
  flags: string;
}

/** ffprobe's view of one fMP4 segment (init + segment bytes written to a file). */
export async function probeSegment(init: Uint8Array, segment: Uint8Array): Promise<{ streams: Array<{ codec_name: string; codec_type: string }>; packets: ProbedPacket[] }> {
  const file = join(mkdtempSync(join(tmpdir(), 'sg-hls-seg-')), 'seg.mp4');
  writeFileSync(file, Buffer.concat([init, segment]));
  const r = await run('ffprobe', ['-v', 'error', '-show_streams', '-show_packets', '-of', 'json', file], 20_000);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr.trim(), '', 'ffprobe reads the segment without errors');
  return JSON.parse(r.stdout) as { streams: Array<{ codec_name: string; codec_type: string }>; packets: ProbedPacket[] };
}
