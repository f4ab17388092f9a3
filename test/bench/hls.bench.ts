/**
 * HLS cost and latency (issue #15), against the all-in-one gateway in its own process; the
 * source is ffmpeg pushing 640x360 25 fps H.264 (1 Mbit/s, 1 s GOP, x264 zerolatency) + AAC
 * over RTMP, with the wall clock drawn into every frame (clock-source.ts).
 *
 * 1. CPU per reader, ours vs nginx (the peer) in the same run: a mirror (hls-readers.ts) copies
 *    our playlists, init segments, parts and segments into files as we produce them, and nginx
 *    serves that directory as static files. The same number of readers (1, 50, 200) runs the
 *    same client against both origins at once: LL-HLS without blocking reloads (playlist every
 *    200 ms, every new part) and plain HLS (playlist every 1 s, every new segment). CPU is the
 *    server process's utime+stime over the window (/proc), minus its own idle figure; ratios
 *    only. Our LL-HLS readers with blocking reloads (what hls.js does; nginx cannot) are
 *    measured too, and the gateway's RSS.
 * 2. Glass-to-glass latency in Chromium (hls.js, lowLatencyMode): the clock read back from the
 *    frame on screen (requestVideoFrameCallback → canvas) against the display time, with the
 *    default 200 ms parts and with each part duration in HLS_BENCH_PARTS (default 0.2,0.5,1;
 *    1 s segments); also ingest → display (Date.now() − hls.playingDate, i.e. the
 *    EXT-X-PROGRAM-DATE-TIME of the frame on screen, which is the ingest receive time).
 *
 * Usage: npm run build && node dist/test/bench/hls.bench.js
 *   HLS_BENCH_SECONDS (window, default 10), HLS_BENCH_READERS (default 1,50,200), HLS_BENCH_PARTS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { NginxStatic, TrackedProcess, killAll, startNginxStatic, waitFor } from '@streamgate/testing';
import { emitReport, log, runBench } from './bench-run';
import { pushClockSource, READ_CLOCK_SCRIPT } from './clock-source';
import { GatewayProcess, startAllInOne } from './gateway-process';
import { Served, Stop, blockingReader, mirrorHls, pollingReader } from './hls-readers';
import { cpuSeconds, rssMiB } from './proc-stats';
import { launchChromium } from '../e2e/console/chromium';

const WINDOW_S = Number(process.env.HLS_BENCH_SECONDS ?? 10);
const READERS = (process.env.HLS_BENCH_READERS ?? '1,50,200').split(',').map(Number).filter((n) => n > 0);
const PARTS = (process.env.HLS_BENCH_PARTS ?? '0.2,0.5,1').split(',').map(Number);
const WARM_MS = 3000;
const SOURCE = { width: 640, height: 360, fps: 25, gopFrames: 25, videoBitrateKbps: 1000 };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Fraction of a core `pid` used over the window. */
async function cpuOver(pid: number, seconds = WINDOW_S): Promise<number> {
  const c0 = cpuSeconds(pid);
  await sleep(seconds * 1000);
  return (cpuSeconds(pid) - c0) / seconds;
}

/**
 * Runs `n` readers against each server at once, lets them settle, measures each server's CPU
 * and the requests it answered over the same window (so the machine's load varies alike for
 * both), stops them. The readers share this process: on a busy machine they may not reach the
 * request rate they aim at, which is why the answered requests are counted.
 */
async function underReaders(n: number, servers: Array<{ pid: number; reader: (stop: Stop, served: Served) => Promise<void> }>): Promise<Array<{ cpu: number; served: Served }>> {
  const stop: Stop = { done: false };
  const served: Served[] = servers.map(() => ({ requests: 0, bytes: 0, errors: 0, reasons: new Map<string, number>() }));
  const readers = servers.flatMap((s, i) => Array.from({ length: n }, () => s.reader(stop, served[i])));
  await sleep(WARM_MS);
  for (const s of served) {
    s.requests = s.bytes = s.errors = 0;
    s.reasons?.clear();
  }
  const cpu = await Promise.all(servers.map((s) => cpuOver(s.pid)));
  const counted = served.map((s) => ({ ...s, reasons: new Map(s.reasons) }));
  stop.done = true;
  await Promise.all(readers);
  return cpu.map((c, i) => ({ cpu: c, served: counted[i] }));
}

async function startSource(partS: number): Promise<{ gw: GatewayProcess; pusher: TrackedProcess; base: string }> {
  const gw = await startAllInOne({ HLS_PART_DURATION: String(partS), HLS_SEGMENT_DURATION: '1' }, 90_000);
  const pusher = pushClockSource(`rtmp://127.0.0.1:${gw.rtmpPort}/live/bench`, SOURCE);
  const base = `http://127.0.0.1:${gw.hlsPort}/bench/`;
  await waitFor(async () => ((await fetch(`${base}index.m3u8`).catch(() => undefined))?.status === 200 ? true : undefined), 30_000, 'the HLS stream', 300);
  return { gw, pusher, base };
}

interface Latency {
  glassToGlass: number[];
  ingestToDisplay: number[];
  unreadable: number;
  /** hls.js's own view at the end: distance to the live edge, its target, frames dropped. */
  player: { latency: number; target: number; dropped: number; frames: number };
}

async function measureLatency(base: string, settleMs = 8000, sampleMs = 10_000): Promise<Latency> {
  const { context, close } = await launchChromium();
  try {
    const page = await context.newPage();
    await page.setContent('<video id="v" muted autoplay playsinline></video>');
    await page.addScriptTag({ path: require.resolve('hls.js/dist/hls.min.js') });
    await page.evaluate(`(() => { const h = new Hls({ lowLatencyMode: true }); h.loadSource(${JSON.stringify(`${base}index.m3u8`)}); h.attachMedia(document.getElementById('v')); window.h = h; })()`);
    await page.evaluate(READ_CLOCK_SCRIPT);
    await sleep(settleMs);
    // Start-up stalls of a loaded machine (Chromium starting, first parts) add latency hls.js
    // keeps; jump to its live sync position once, as a player's "go live" does, then measure.
    await page.evaluate('(() => { const p = window.h.liveSyncPosition; if (p) document.getElementById("v").currentTime = p; })()');
    await sleep(3000);
    await page.evaluate('window.glassToGlass.length = 0; window.clockUnreadable = 0');
    const ingestToDisplay: number[] = [];
    for (let t = 0; t < sampleMs; t += 500) {
      const ms = (await page.evaluate('window.h.playingDate ? Date.now() - window.h.playingDate.getTime() : -1')) as number;
      if (ms > 0) ingestToDisplay.push(ms);
      await sleep(500);
    }
    const player = (await page.evaluate(`(() => { const q = document.getElementById('v').getVideoPlaybackQuality();
      return { latency: window.h.latency, target: window.h.targetLatency, dropped: q.droppedVideoFrames, frames: q.totalVideoFrames }; })()`)) as Latency['player'];
    const glassToGlass = (await page.evaluate('window.glassToGlass')) as number[];
    const unreadable = (await page.evaluate('window.clockUnreadable')) as number;
    return { glassToGlass, ingestToDisplay, unreadable, player };
  } finally {
    await close();
  }
}

function summary(values: number[]): string {
  if (values.length === 0) return 'no samples';
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  const f = (ms: number): string => (ms / 1000).toFixed(2);
  return `median ${f(q(0.5))} s (p5 ${f(q(0.05))}, p95 ${f(q(0.95))}, ${s.length} samples)`;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
/** The machine's 1-minute load average (2 cores here): how much the others were running. */
const load = (): string => loadavg()[0].toFixed(0);
/**
 * Our gateway also ingests and muxes, and that work moves with the machine's load (±2 % of a
 * core on this shared machine); readers' CPU above its idle figure is told from noise only
 * beyond this. nginx idles at 0 (to the clock tick: 0.1 % of a core over 10 s).
 */
const NOISE = 0.02;
type Window = { cpu: number; served: Served };
/** CPU ms per 1000 answered requests above the server's idle CPU; undefined within the noise. */
function perThousand(w: Window, idle: number, noisy: boolean): number | undefined {
  const extra = w.cpu - idle;
  if ((noisy && extra <= NOISE) || extra <= 0 || w.served.requests === 0) return undefined;
  return ((extra * WINDOW_S) / w.served.requests) * 1e6;
}
/** "CPU % | requests/s | ms/s per reader | ms per 1000 requests" for one server's window. */
function row(w: Window, idle: number, n: number, noisy: boolean): string {
  const k = perThousand(w, idle, noisy);
  const perReader = k === undefined ? '< noise' : ((((w.cpu - idle) / n) * 1000).toFixed(2));
  const reasons = [...(w.served.reasons ?? new Map<string, number>())].map(([r, k]) => `${k} × ${r}`).join(', ');
  const errors = w.served.errors > 0 ? ` (${reasons} failed)` : '';
  return `${pct(w.cpu)}, ${(w.served.requests / WINDOW_S).toFixed(0)} req/s${errors}, ${perReader} ms/s per reader, ${k === undefined ? '< noise' : k.toFixed(1)} ms per 1000 req`;
}

runBench(async () => {
  const started = Date.now();
  const cost: string[] = [
    '| readers | client | streamgate: CPU, answered, per reader, per 1000 requests | nginx: the same | CPU per request, streamgate / nginx | load avg |',
    '|---|---|---|---|---|---|',
  ];
  const latency: string[] = [
    '| part duration | glass-to-glass (clock in the frame) | ingest → display (PROGRAM-DATE-TIME) | hls.js latency / target | frames dropped | clock unreadable | load avg |',
    '|---|---|---|---|---|---|---|',
  ];
  const latencyRow = (partS: number, l: Latency): string => `| ${partS} s | ${summary(l.glassToGlass)} | ${summary(l.ingestToDisplay)} | ${l.player.latency.toFixed(2)} / ${l.player.target.toFixed(2)} s | ${l.player.dropped} of ${l.player.frames} | ${l.unreadable} | ${load()} |`;
  let footprint = '';
  const dir = mkdtempSync(join(tmpdir(), 'streamgate-hls-mirror-'));
  let nginx: NginxStatic | undefined;
  const mirrorStop: Stop = { done: false };
  const first = await startSource(PARTS[0]);
  try {
    const { gw, base } = first;
    const mirror = mirrorHls(base, dir, mirrorStop);
    nginx = await startNginxStatic(dir);
    const nginxBase = `http://127.0.0.1:${nginx.port}/`;
    const nginxPid = nginx.process.child.pid ?? 0;
    await waitFor(async () => ((await fetch(`${nginxBase}stream.m3u8`))?.status === 200 ? true : undefined), 10_000, 'the mirror', 200);
    log('idle window (stream muxed and mirrored, no readers)');
    const [ourIdle, nginxIdle] = await Promise.all([cpuOver(gw.pid), cpuOver(nginxPid)]);
    footprint = `Stream muxed (RTMP ingest + packetizer + HLS muxer + the mirror's one LL-HLS reader): streamgate ${pct(ourIdle)} of a core, RSS ${rssMiB(gw.pid).toFixed(0)} MiB; nginx idle ${pct(nginxIdle)}; load average ${load()}.`;
    const clients: Array<{ name: string; kind: 'part' | 'segment'; periodMs: number }> = [
      { name: 'LL-HLS parts, playlist every 200 ms', kind: 'part', periodMs: 200 },
      { name: 'plain HLS segments, playlist every 1 s', kind: 'segment', periodMs: 1000 },
    ];
    for (const n of READERS) {
      const [blocking] = await underReaders(n, [{ pid: gw.pid, reader: (stop, served) => blockingReader(base, stop, served) }]);
      cost.push(`| ${n} | LL-HLS blocking reloads (hls.js) | ${row(blocking, ourIdle, n, true)} | — (no blocking reload) | — | ${load()} |`);
      log(cost[cost.length - 1]);
      for (const c of clients) {
        const [ours, peer] = await underReaders(n, [
          { pid: gw.pid, reader: (stop, served) => pollingReader(base, c.kind, c.periodMs, stop, served) },
          { pid: nginxPid, reader: (stop, served) => pollingReader(nginxBase, c.kind, c.periodMs, stop, served) },
        ]);
        const a = perThousand(ours, ourIdle, true);
        const b = perThousand(peer, nginxIdle, false);
        cost.push(`| ${n} | ${c.name} | ${row(ours, ourIdle, n, true)} | ${row(peer, nginxIdle, n, false)} | ${a !== undefined && b ? (a / b).toFixed(1) : '—'} | ${load()} |`);
        log(cost[cost.length - 1]);
      }
    }
    footprint += ` After the reader windows: RSS ${rssMiB(gw.pid).toFixed(0)} MiB.`;
    mirrorStop.done = true;
    await nginx.stop();
    nginx = undefined;
    await mirror;
    const l = await measureLatency(base);
    latency.push(latencyRow(PARTS[0], l));
    log(latency[latency.length - 1]);
  } finally {
    mirrorStop.done = true;
    await nginx?.stop();
    await first.pusher.kill();
    await first.gw.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  for (const partS of PARTS.slice(1)) {
    const run = await startSource(partS);
    try {
      const l = await measureLatency(run.base);
      latency.push(latencyRow(partS, l));
      log(latency[latency.length - 1]);
    } finally {
      await run.pusher.kill();
      await run.gw.stop();
    }
  }
  emitReport(started, [
    `HLS CPU per reader (window ${WINDOW_S} s after ${WARM_MS / 1000} s of warm-up; per-reader figures subtract each server's idle CPU):`, '', ...cost, '', footprint, '',
    'Latency, Chromium + hls.js lowLatencyMode, 1 s segments:', '', ...latency,
  ]);
  await killAll();
});
