/**
 * Latency benchmark (issue "Distributed mode"): time from ingest receive to egress send,
 * p50/p99, with the four services in one process (in-process bus) and as separate ingest,
 * packetizer and rtsp-egress processes over a real nats-server (+ redis-server as the store),
 * with 1 and 50 RTMP pushes (ffmpeg -re -c copy of a small FLV) and one RtspReader per stream
 * so egress subscribes. Quantiles come from the egress `streamgate_stream_latency_seconds`
 * histogram (difference of two scrapes around the window, interpolated within buckets like
 * PromQL's histogram_quantile); NATS messages per second from nats-server's /varz.
 *
 *   npm run build && node dist/test/bench/latency.bench.js [--streams 1,50] [--modes inproc,nats]
 *     [--window 20] [--settle 5] [--out FILE]
 */
import { emitReport, log, runBench } from './bench-run';
import { LATENCY_BUCKETS_SECONDS } from '@streamgate/platform';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RealServer, startRedisServer } from '@streamgate/platform/testing';
import {
  delay, ffmpegPushRtmp, freeTcpPort, makeTestClip, RtspReader, spawnTracked, TestClip, TrackedProcess, waitFor,
} from '@streamgate/testing';
import { clusterPorts, ingestEnv, ServiceProcess, startService } from '../distributed/cluster';
import { firstLine, httpJson, httpText, LOOPBACK_FLEET_LIMITS, sourceRevision, startAllInOne } from './gateway-process';
import { cpuSeconds, machineBusyPct, machineJiffies } from './proc-stats';
import {
  diffHistogram, fractionAtOrBelow, HistogramSnapshot, histogramQuantile, parseHistogram, quantileUpperBound,
} from './prom-histogram';
import { summarizeWindow } from './reader-fleet';

const { values: args } = parseArgs({
  options: {
    streams: { type: 'string', default: '1,50' },
    modes: { type: 'string', default: 'inproc,nats' },
    window: { type: 'string', default: '20' },
    settle: { type: 'string', default: '5' },
    'video-kbps': { type: 'string', default: '300' },
    out: { type: 'string' },
  },
});

type Mode = 'inproc' | 'nats';
const streamCounts = args.streams.split(',').map(Number).filter((n) => n > 0);
const modes = args.modes.split(',').filter((m): m is Mode => m === 'inproc' || m === 'nats');
const windowSec = Number(args.window);
const settleSec = Number(args.settle);
const LATENCY = 'streamgate_stream_latency_seconds';

/** What a mode's system under test offers the steps. */
interface System {
  mode: Mode;
  rtmpPort: number;
  rtspPort: number;
  /** Processes whose CPU is the gateway's (for nats: the three services, nats-server, redis-server). */
  pids: { name: string; pid: number }[];
  egressMetrics(): Promise<string>;
  /** nats-server /varz, when there is one. */
  varz?(): Promise<{ in_msgs: number; out_msgs: number; in_bytes: number; out_bytes: number }>;
  stop(): Promise<void>;
}

interface LatencyRow {
  mode: Mode;
  streams: number;
  readers: number;
  hist: HistogramSnapshot;
  /** Worst per-stream p99 upper bound, seconds. */
  worstStreamP99: number;
  aus: number;
  natsInPerStream: number;
  natsOutPerStream: number;
  natsMbps: number;
  cpuPct: Record<string, number>;
  pushersCpuPct: number;
  machineBusyPct: number;
  readerLossMaxPct: number;
  readerMbps: number;
}

async function startInproc(): Promise<System> {
  const gw = await startAllInOne();
  return {
    mode: 'inproc',
    rtmpPort: gw.rtmpPort,
    rtspPort: gw.rtspPort,
    pids: [{ name: 'all-in-one', pid: gw.pid }],
    egressMetrics: () => gw.metrics(),
    stop: () => gw.stop(),
  };
}

/** nats-server with its HTTP monitoring port (-m), so /varz gives message counts. */
async function startMonitoredNats(): Promise<{ url: string; monitorPort: number; proc: TrackedProcess }> {
  const [port, monitorPort] = await Promise.all([freeTcpPort(), freeTcpPort()]);
  const proc = spawnTracked('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort)]);
  await waitFor(async () => {
    if (proc.child.exitCode !== null) throw new Error(`nats-server exited: ${proc.stderr()}`);
    return (await fetch(`http://127.0.0.1:${monitorPort}/varz`).then((r) => r.ok, () => false)) ? true : undefined;
  }, 10_000, 'nats-server monitoring', 100);
  return { url: `nats://127.0.0.1:${port}`, monitorPort, proc };
}

async function startNats(): Promise<System> {
  const nats = await startMonitoredNats();
  let redis: RealServer | undefined;
  const services: ServiceProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const s of services) await s.stop().catch(() => undefined);
    await redis?.stop();
    await nats.proc.kill();
  };
  try {
    redis = await startRedisServer();
    const ports = await clusterPorts();
    const base = { ...LOOPBACK_FLEET_LIMITS, NATS_URL: nats.url, REDIS_URL: redis.url, RTSP_PORT: String(ports.rtsp), RTSP_UDP_RTP_PORT: String(ports.udpRtp) };
    const ingestVars = await ingestEnv(base);
    services.push(await startService('packetizer', base));
    services.push(await startService('rtsp-egress', base));
    services.push(await startService('ingest', ingestVars));
    const egress = services[1];
    const redisPid = pidListening('redis-server', redis.port);
    return {
      mode: 'nats',
      rtmpPort: Number(ingestVars.RTMP_PORT),
      rtspPort: ports.rtsp,
      pids: [
        ...services.map((s) => ({ name: s.name, pid: s.proc.pid })),
        { name: 'nats-server', pid: nats.proc.pid },
        ...(redisPid > 0 ? [{ name: 'redis-server', pid: redisPid }] : []),
      ],
      egressMetrics: () => httpText(egress.metricsPort, '/metrics'),
      varz: () => httpJson(nats.monitorPort, 'GET', '/varz'),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

async function openReader(url: string): Promise<RtspReader> {
  return waitFor(async () => {
    try {
      return await RtspReader.open(url, { transport: 'tcp', timeoutMs: 5000 });
    } catch {
      return undefined;
    }
  }, 30_000, `${url} to play`, 250);
}

/** The pid of a process named `comm` whose command line mentions `port` (redis-server retitles itself `redis-server 127.0.0.1:<port>`). */
function pidListening(comm: string, port: number): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== comm) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(`:${port}`)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return 0;
}

function cpuOf(pid: number): number {
  try {
    return cpuSeconds(pid);
  } catch {
    return 0;
  }
}

async function measure(sys: System, clip: TestClip, n: number): Promise<LatencyRow> {
  const names = Array.from({ length: n }, (_, i) => `s${String(i + 1).padStart(3, '0')}`);
  const pushers = names.map((name) => ffmpegPushRtmp(`rtmp://127.0.0.1:${sys.rtmpPort}/live/${name}`, { clip: clip.flv, loop: true, realtime: true }));
  const readers: RtspReader[] = [];
  try {
    for (const name of names) readers.push(await openReader(`rtsp://127.0.0.1:${sys.rtspPort}/${name}`));
    await delay(settleSec * 1000);
    const text0 = await sys.egressMetrics();
    const v0 = await sys.varz?.();
    const r0 = readers.map((r) => r.stats());
    const c0 = sys.pids.map((p) => cpuOf(p.pid));
    const p0 = pushers.reduce((a, p) => a + cpuOf(p.pid), 0);
    const m0 = machineJiffies();
    const t0 = performance.now();
    await delay(windowSec * 1000);
    const elapsed = (performance.now() - t0) / 1000;
    const text1 = await sys.egressMetrics();
    const v1 = await sys.varz?.();
    const r1 = readers.map((r) => r.stats());
    const c1 = sys.pids.map((p) => cpuOf(p.pid));
    const p1 = pushers.reduce((a, p) => a + cpuOf(p.pid), 0);
    const machine = machineBusyPct(m0, machineJiffies());
    const hist = diffHistogram(parseHistogram(text1, LATENCY), parseHistogram(text0, LATENCY));
    const worstStreamP99 = Math.max(...names.map((s) =>
      quantileUpperBound(0.99, diffHistogram(parseHistogram(text1, LATENCY, { stream: s }), parseHistogram(text0, LATENCY, { stream: s })))));
    const readerWindow = summarizeWindow(r0, r1, elapsed, 0);
    const dead = pushers.filter((p) => p.child.exitCode !== null).length;
    if (dead) log(`  ${dead} pusher(s) exited: ${pushers.find((p) => p.child.exitCode !== null)?.stderr().slice(-300)}`);
    return {
      mode: sys.mode,
      streams: n,
      readers: readers.length,
      hist,
      worstStreamP99,
      aus: hist.count,
      natsInPerStream: v0 && v1 ? (v1.in_msgs - v0.in_msgs) / elapsed / n : NaN,
      natsOutPerStream: v0 && v1 ? (v1.out_msgs - v0.out_msgs) / elapsed / n : NaN,
      natsMbps: v0 && v1 ? ((v1.in_bytes - v0.in_bytes + v1.out_bytes - v0.out_bytes) * 8) / elapsed / 1e6 : NaN,
      cpuPct: Object.fromEntries(sys.pids.map((p, i) => [p.name, (100 * (c1[i] - c0[i])) / elapsed])),
      pushersCpuPct: (100 * (p1 - p0)) / elapsed,
      machineBusyPct: machine,
      readerLossMaxPct: readerWindow.maxLossPct,
      readerMbps: readerWindow.meanMbps,
    };
  } finally {
    await Promise.all(readers.map((r) => r.close(2000)));
    await Promise.all(pushers.map((p) => p.kill()));
    // Let the streams end (source-stopped) before the next step reuses the names.
    await delay(3000);
  }
}

const ms = (s: number, d = 2): string => (Number.isFinite(s) ? (s * 1000).toFixed(d) : '–');
const pct = (x: number, d = 1): string => (Number.isFinite(x) ? (100 * x).toFixed(d) : '–');

function tables(rows: LatencyRow[]): string {
  const out = [
    '| mode | streams (readers) | access units in window | p50 ms (interpolated) | p99 ms (interpolated) | p50 / p99 bucket bound ms | worst stream p99 bound ms | mean ms | ≤ 1 ms % | ≤ 2 ms % | ≤ 10 ms % | NATS msgs/s per stream in / out | NATS Mbit/s in+out | reader loss max % | Mbit/s per reader | gateway CPU % of a core | ffmpeg pushers CPU % | machine busy % |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|',
  ];
  for (const r of rows) {
    const h = r.hist;
    const cpu = Object.entries(r.cpuPct);
    const total = cpu.reduce((a, [, v]) => a + v, 0);
    const cpuText = cpu.length > 1 ? `${total.toFixed(1)} (${cpu.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')})` : total.toFixed(1);
    out.push(
      `| ${r.mode} | ${r.streams} (${r.readers}) | ${r.aus} | ${ms(histogramQuantile(0.5, h))} | ${ms(histogramQuantile(0.99, h))} | ` +
        `${ms(quantileUpperBound(0.5, h), 1)} / ${ms(quantileUpperBound(0.99, h), 1)} | ${ms(r.worstStreamP99, 1)} | ${ms(h.count ? h.sum / h.count : NaN)} | ` +
        `${pct(fractionAtOrBelow(0.001, h))} | ${pct(fractionAtOrBelow(0.002, h))} | ${pct(fractionAtOrBelow(0.01, h))} | ` +
        `${Number.isFinite(r.natsInPerStream) ? `${r.natsInPerStream.toFixed(0)} / ${r.natsOutPerStream.toFixed(0)}` : '–'} | ` +
        `${Number.isFinite(r.natsMbps) ? r.natsMbps.toFixed(1) : '–'} | ${r.readerLossMaxPct.toFixed(2)} | ${r.readerMbps.toFixed(3)} | ${cpuText} | ` +
        `${r.pushersCpuPct.toFixed(0)} | ${r.machineBusyPct.toFixed(0)} |`,
    );
  }
  out.push('', 'Latency distribution in the window (share of access units per bucket, all streams):', '');
  const les = rows[0]?.hist.les ?? [];
  const label = (i: number): string => `${i === 0 ? '0' : ms(les[i - 1], 1)}–${les[i] === Infinity ? '∞' : ms(les[i], 1)}`;
  out.push(`| mode | streams | ${les.map((_, i) => label(i)).join(' | ')} |`);
  out.push(`|---|---:|${les.map(() => '---:').join('|')}|`);
  for (const r of rows) {
    const total = r.hist.counts.at(-1) ?? 0;
    const cells = r.hist.counts.map((c, i) => (total ? ((100 * (c - (i ? r.hist.counts[i - 1] : 0))) / total).toFixed(2) : '–'));
    out.push(`| ${r.mode} | ${r.streams} | ${cells.join(' | ')} |`);
  }
  return out.join('\n');
}

async function environment(clip: TestClip): Promise<string> {
  const [ffmpeg, nats, redis, rev] = await Promise.all([
    firstLine('ffmpeg', ['-version']), firstLine('nats-server', ['--version']), firstLine('redis-server', ['--version']), sourceRevision(),
  ]);
  const p = clip.params;
  return [
    `- machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}; Node ${process.version}; ${ffmpeg}; ${nats}; ${redis.split(' sha=')[0]}; streamgate ${rev}`,
    `- content: ${p.width}x${p.height}@${p.fps} H.264 High (${p.bframes} B-frames, GOP ${p.gop}) at ${p.videoBitrateKbps} kbit/s` +
      `${p.audio ? ' + AAC-LC 128 kbit/s' : ''}; ${p.seconds} s FLV pushed in a loop per stream with ffmpeg -re -stream_loop -1 -c copy`,
    `- one RtspReader (TCP) per stream; window ${windowSec} s after ${settleSec} s settling; histogram buckets (le, ms): ` +
      LATENCY_BUCKETS_SECONDS.map((b) => b * 1000).join(', '),
  ].join('\n');
}

async function main(): Promise<void> {
  const started = Date.now();
  const clip = await makeTestClip({
    seconds: 30, width: 320, height: 240, fps: 25, bframes: 0, gop: 50, audio: true,
    videoBitrateKbps: Number(args['video-kbps']), cacheDir: join(tmpdir(), 'streamgate-bench-clips'),
  });
  const rows: LatencyRow[] = [];
  const notes: string[] = [];
  for (const mode of modes) {
    log(`${mode}: starting…`);
    let sys: System | undefined;
    try {
      sys = mode === 'inproc' ? await startInproc() : await startNats();
      for (const n of streamCounts) {
        log(`${mode}: ${n} stream(s)…`);
        const row = await measure(sys, clip, n);
        rows.push(row);
        log(`  p50 ${ms(histogramQuantile(0.5, row.hist))} ms, p99 ${ms(histogramQuantile(0.99, row.hist))} ms ` +
          `(bucket bound ${ms(quantileUpperBound(0.99, row.hist), 1)} ms), ${row.aus} AUs, NATS in ${row.natsInPerStream.toFixed(0)}/s per stream, ` +
          `machine ${row.machineBusyPct.toFixed(0)} %`);
      }
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      notes.push(`${mode}: stopped early: ${why.split('\n')[0]}`);
      log(`${mode} failed: ${why}`);
    } finally {
      await sys?.stop();
    }
  }
  emitReport(started, [
    await environment(clip),
    ...notes.map((n) => `- ${n}`),
    '',
    tables(rows),
  ], args.out);
}

runBench(main);
