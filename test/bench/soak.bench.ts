/**
 * Soak (issue 13, not in CI): one all-in-one gateway, one RTMP push (ffmpeg, looping clip) and
 * 20 RTSP readers over TCP for --minutes (default 60). Samples the gateway's RSS (/proc) and
 * V8 heap in use (`streamgate_process_nodejs_heap_size_used_bytes` from /metrics) every
 * --every seconds and reports both slopes (least squares, MiB/min) after a --warmup. A heap
 * that keeps growing is a leak; RSS growing with a flat heap is the allocator and buffers
 * settling.
 *
 *   npm run build && node dist/test/bench/soak.bench.js [--minutes 60] [--readers 20] [--every 10] [--warmup 2]
 */
import { parseArgs } from 'node:util';
import { makeTestClip, spawnTracked } from '@streamgate/testing';
import { startAllInOne } from './gateway-process';
import { rssMiB } from './proc-stats';
import { ReaderFleet } from './reader-fleet';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '60' },
    readers: { type: 'string', default: '20' },
    every: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
  },
});
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Least-squares slope of y over x. */
export function slope(points: readonly [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  const num = points.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0);
  const den = points.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

async function heapMiB(metrics: () => Promise<string>): Promise<number> {
  const text = await metrics();
  const m = /^streamgate_process_nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\d+(?:\.\d+)?)/m.exec(text);
  return m ? Number(m[1]) / 1048576 : NaN;
}

async function main(): Promise<void> {
  const minutes = Number(args.minutes);
  const clip = await makeTestClip({ width: 640, height: 360, fps: 25, gop: 50, seconds: 60, videoBitrateKbps: 1000 });
  const gw = await startAllInOne();
  const push = spawnTracked('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', clip.flv, '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${gw.rtmpPort}/live/soak`]);
  await sleep(3000);
  const fleet = await ReaderFleet.open(`rtsp://127.0.0.1:${gw.rtspPort}/soak`, Number(args.readers), 'tcp');
  const rss: [number, number][] = [];
  const heap: [number, number][] = [];
  const t0 = Date.now();
  const end = t0 + minutes * 60_000;
  try {
    while (Date.now() < end) {
      await sleep(Number(args.every) * 1000);
      const t = (Date.now() - t0) / 60_000;
      const r = rssMiB(gw.pid);
      const h = await heapMiB(() => gw.metrics());
      rss.push([t, r]);
      heap.push([t, h]);
      const closed = fleet.snapshot().filter((s) => s.closedByServer).length;
      process.stdout.write(`${t.toFixed(1)} min  rss ${r.toFixed(1)} MiB  heap ${h.toFixed(1)} MiB  readers closed ${closed}\n`);
    }
  } finally {
    await fleet.close();
    await push.kill();
    await gw.stop();
  }
  const warm = Number(args.warmup);
  const after = <T extends [number, number]>(pts: T[]): T[] => pts.filter((p) => p[0] >= warm);
  // The heap is a GC sawtooth: a least-squares line through it depends on where the run stops.
  // The floor of each 2-minute window (the heap right after a collection) is what a leak raises.
  const floors: [number, number][] = [];
  for (const [t, h] of after(heap)) {
    const w = Math.floor(t / 2);
    const cur = floors.find((f) => Math.floor(f[0] / 2) === w);
    if (!cur) floors.push([t, h]);
    else if (h < cur[1]) cur[1] = h;
  }
  const half = minutes / 2;
  process.stdout.write(`${JSON.stringify({
    minutes, readers: Number(args.readers), warmup_minutes: warm, failures: fleet.failures.length,
    rss_slope_mib_per_min: Number(slope(after(rss)).toFixed(3)),
    heap_slope_mib_per_min: Number(slope(after(heap)).toFixed(3)),
    heap_floor_slope_mib_per_min: Number(slope(floors).toFixed(3)),
    heap_floors_mib: floors.map((f) => Number(f[1].toFixed(1))),
    rss_slope_second_half_mib_per_min: Number(slope(rss.filter((p) => p[0] >= half)).toFixed(3)),
    rss_first_last_mib: [rss.find((p) => p[0] >= warm)?.[1], rss.at(-1)?.[1]],
    heap_first_last_mib: [heap.find((p) => p[0] >= warm)?.[1], heap.at(-1)?.[1]],
  }, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
