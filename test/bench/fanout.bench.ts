/**
 * RTSP fan-out benchmark: one 1080p30 ~4 Mbit/s H.264 + AAC stream to 1…200 readers over
 * TCP and UDP, served by streamgate and by GStreamer's RTSP server from the same content in
 * the same run. Measures server CPU (/proc utime+stime), peak RSS and per-reader RTP loss.
 *
 *   npm run build && node dist/test/bench/fanout.bench.js [--readers 1,10,50,200]
 *     [--transports tcp,udp] [--servers gstreamer,streamgate,streamgate-digest] [--window 15] [--out FILE]
 *     [--repeat N] [--churn K] [--network loopback|veth] [--uso on|off]
 *
 * `--repeat N` runs every step N times, the servers taking turns each time, and adds a table
 * of medians and ranges and of each server against the first named (e.g. Digest against open).
 * `--churn K` adds, after each step, K readers opened and closed one after another: the server
 * CPU time per connect (where authentication costs), measured apart from any steady stream.
 * `--network veth` puts the readers in a network namespace of their own, one veth link away
 * (veth-link.ts: on loopback the kernel charges each reader's receive path to the server, on a
 * network the readers' hosts pay it); needs root and ethtool. The default is loopback. With
 * veth, `--uso off` makes the servers' kernel cut UDP GSO batches itself (a NIC without UDP
 * segmentation offload); the default passes them whole, as a NIC with USO does.
 */
import { emitReport, log, runBench } from './bench-run';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { delay, makeTestClip, ReaderTransport, RtspReader, spawnTracked, TestClip } from '@streamgate/testing';
import { loadConfig } from '@streamgate/platform';
import { loadUdpFanout } from '@streamgate/native-udp';
import { cpuSeconds, machineBusyPct, machineJiffies, sampleRss } from './proc-stats';
import { addIncrementalCpu, FanoutRow, ratioTable, repeatTable, resultsTable } from './fanout-report';
import { ChildReaderFleet, ReaderFleet, summarizeWindow } from './reader-fleet';
import { VethLink } from './veth-link';
import { RtspReaderStats } from '@streamgate/testing';
import { ServerUnderTest, startGstreamerUnderTest, startStreamgateUnderTest } from './servers-under-test';

const { values: args } = parseArgs({
  options: {
    readers: { type: 'string', default: '1,10,50,200' },
    transports: { type: 'string', default: 'tcp,udp' },
    servers: { type: 'string', default: 'gstreamer,streamgate' },
    window: { type: 'string', default: '15' },
    settle: { type: 'string', default: '3' },
    'clip-seconds': { type: 'string', default: '60' },
    repeat: { type: 'string', default: '1' },
    churn: { type: 'string', default: '0' },
    network: { type: 'string', default: 'loopback' },
    uso: { type: 'string', default: 'on' },
    out: { type: 'string' },
  },
});
if (args.network !== 'loopback' && args.network !== 'veth') throw new Error(`--network ${args.network}: loopback or veth`);
if (args.uso !== 'on' && args.uso !== 'off') throw new Error(`--uso ${args.uso}: on or off`);
if (args.uso === 'off' && args.network !== 'veth') throw new Error('--uso off is a setting of the veth link (--network veth)');

const readerCounts = args.readers.split(',').map(Number).filter((n) => n > 0);
const transports = args.transports.split(',').filter((t): t is ReaderTransport => t === 'tcp' || t === 'udp');
const windowSec = Number(args.window);
const settleSec = Number(args.settle);
const repeats = Math.max(1, Number(args.repeat));
const churnCount = Math.max(0, Number(args.churn));
/** With `--network veth`: the readers' namespace and link (created in main). */
let link: VethLink | undefined;

/** The readers of one step, in this process (loopback) or in the readers' namespace (veth). */
interface StepReaders {
  readonly opened: number;
  readonly failures: string[];
  snapshot(): Promise<RtspReaderStats[]>;
  close(): Promise<void>;
  /** CPU seconds of the reader side so far: readers, and with veth their receive thread apart. */
  cpu(): { readers: number; receive: number };
}

async function openReaders(server: ServerUnderTest, transport: ReaderTransport, n: number): Promise<StepReaders> {
  if (link) {
    const veth = link;
    const url = server.url.replace('//127.0.0.1:', `//${veth.serverAddress}:`);
    const fleet = await ChildReaderFleet.open((cmd, a) => veth.command(cmd, a), { url, count: n, transport, concurrency: 16, credentials: server.credentials });
    return {
      opened: fleet.opened,
      failures: fleet.failures,
      snapshot: () => fleet.snapshot(),
      close: () => fleet.close(),
      cpu: () => ({ readers: fleet.cpuSeconds(), receive: veth.receiveCpuSeconds() }),
    };
  }
  const fleet = await ReaderFleet.open(server.url, n, transport, 16, server.credentials);
  return {
    opened: fleet.readers.length,
    failures: fleet.failures,
    snapshot: () => Promise.resolve(fleet.snapshot()),
    close: () => fleet.close(),
    cpu: () => {
      const own = process.cpuUsage();
      return { readers: (own.user + own.system) / 1e6, receive: 0 };
    },
  };
}


/** Server CPU over `seconds` with whatever readers are attached, % of one core. */
async function cpuPctOver(pid: number, seconds: number): Promise<number> {
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  await delay(seconds * 1000);
  return (100 * (cpuSeconds(pid) - c0)) / ((performance.now() - t0) / 1000);
}

async function measure(server: ServerUnderTest, transport: ReaderTransport, n: number, baselineCpuPct: number, rep: number): Promise<FanoutRow> {
  // CPU time while the readers connect: where authentication costs (two Digest round trips each).
  const connect0 = cpuSeconds(server.pid);
  const opened0 = performance.now();
  const fleet = await openReaders(server, transport, n);
  const connectCpuMs = 1000 * (cpuSeconds(server.pid) - connect0) - (baselineCpuPct * 10 * (performance.now() - opened0)) / 1000;
  if (fleet.failures.length) log(`${fleet.failures.length} readers failed to start, first: ${fleet.failures[0]}`);
  await delay(settleSec * 1000);
  const before = await fleet.snapshot();
  const c0 = cpuSeconds(server.pid);
  const side0 = fleet.cpu();
  const m0 = machineJiffies();
  const t0 = performance.now();
  const rss = sampleRss(server.pid);
  await delay(windowSec * 1000);
  const elapsed = (performance.now() - t0) / 1000;
  const after = await fleet.snapshot();
  const cpu = cpuSeconds(server.pid) - c0;
  const side = fleet.cpu();
  const machinePct = machineBusyPct(m0, machineJiffies());
  const rssPeakMiB = rss.stop();
  await fleet.close();
  const cpuPct = (100 * cpu) / elapsed;
  const readers = fleet.opened;
  return {
    server: server.name,
    transport,
    readers: n,
    cpuPct,
    baselineCpuPct,
    cpuMsPerReaderSec: readers ? ((cpuPct - baselineCpuPct) * 10) / readers : NaN,
    rssPeakMiB,
    readersCpuPct: (100 * (side.readers - side0.readers)) / elapsed,
    ...(link ? { receiveCpuPct: (100 * (side.receive - side0.receive)) / elapsed } : {}),
    machineBusyPct: machinePct,
    window: summarizeWindow(before, after, elapsed, fleet.failures.length),
    rep,
    connectCpuMsPerReader: readers ? connectCpuMs / readers : NaN,
  };
}

/**
 * Server CPU ms per reader connect: `count` readers open (DESCRIBE, SETUP, PLAY, with their
 * Digest round trip when the server asks) and close one after another. Each also gets the
 * stream's start (GOP) as every reader does; the idle-stream CPU over the time is subtracted.
 */
async function churnCpuMsPerConnect(server: ServerUnderTest, transport: ReaderTransport, count: number, baselineCpuPct: number): Promise<number> {
  const c0 = cpuSeconds(server.pid);
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const reader = await RtspReader.open(server.url, { transport, timeoutMs: 10_000, credentials: server.credentials });
    await reader.close();
  }
  const elapsedS = (performance.now() - t0) / 1000;
  return (1000 * (cpuSeconds(server.pid) - c0) - baselineCpuPct * 10 * elapsedS) / count;
}

interface LiveServer {
  server: ServerUnderTest;
  baseline: number;
  failed: boolean;
}

async function startServer(name: string, start: () => Promise<ServerUnderTest>, notes: string[]): Promise<LiveServer | undefined> {
  try {
    const server = await start();
    const baseline = await cpuPctOver(server.pid, 5);
    log(`${server.name}: idle-stream CPU ${baseline.toFixed(1)} % (pid ${server.pid})`);
    notes.push(`${server.name}: fed by ${server.feeders}`);
    return { server, baseline, failed: false };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    notes.push(`${name}: not measured: ${why.split('\n')[0]}`);
    log(`${name} failed to start: ${why}`);
    return undefined;
  }
}

/**
 * Every step runs on each server in turn (both stay up; an idle one costs the other nothing it
 * is charged for), so load from elsewhere on the machine drifts into both sides of a ratio alike;
 * with --repeat the turn order flips each repetition.
 */
async function runSteps(live: LiveServer[], rows: FanoutRow[], notes: string[]): Promise<void> {
  const steps = Array.from({ length: repeats }, (_, rep) => transports.flatMap((transport) => readerCounts.map((n) => ({ rep, transport, n })))).flat();
  for (const { rep, transport, n } of steps) {
    // ABBA: the order flips every repetition, so neither server always runs right after the other.
    const order = rep % 2 ? [...live].reverse() : live;
    for (const s of order.filter((l) => !l.failed)) {
      log(`${s.server.name} ${transport} ${n} readers${repeats > 1 ? ` (run ${rep + 1}/${repeats})` : ''}…`);
      const row = await measure(s.server, transport, n, s.baseline, rep).catch((e: unknown) => {
        // A server that dies mid-run still leaves the rows measured so far in the report.
        notes.push(`${s.server.name}: stopped at ${transport} × ${n}: ${e instanceof Error ? e.message : String(e)}`);
        s.failed = true;
        return undefined;
      });
      if (!row) continue;
      if (churnCount > 0) {
        await delay(1000);
        row.churnCpuMsPerConnect = await churnCpuMsPerConnect(s.server, transport, churnCount, s.baseline).catch((e: unknown) => {
          notes.push(`${s.server.name}: connect churn failed: ${e instanceof Error ? e.message : String(e)}`);
          return undefined;
        });
      }
      rows.push(row);
      log(`  CPU ${row.cpuPct.toFixed(1)} %, ${row.cpuMsPerReaderSec.toFixed(2)} ms/s per reader, connect ${row.connectCpuMsPerReader.toFixed(2)} ms per reader, ` +
        `loss mean ${row.window.meanLossPct.toFixed(2)} % max ${row.window.maxLossPct.toFixed(2)} %, ` +
        `${row.window.meanMbps.toFixed(2)} Mbit/s per reader, dropped ${row.window.dropped}, ` +
        `failed ${row.window.failedToStart}, machine ${row.machineBusyPct.toFixed(0)} %` +
        (row.churnCpuMsPerConnect === undefined ? '' : `, ${churnCount} connects: ${row.churnCpuMsPerConnect.toFixed(2)} CPU ms each`));
      // Give sessions time to go away so the next step starts clean.
      await delay(2000);
    }
  }
}

function firstLine(cmd: string, cmdArgs: string[]): Promise<string> {
  const p = spawnTracked(cmd, cmdArgs);
  return p.exited.then(() => (p.stdout() || p.stderr()).split('\n')[0].trim());
}

async function environment(clip: TestClip): Promise<string> {
  const [ffmpeg, gst] = await Promise.all([firstLine('ffmpeg', ['-version']), firstLine('gst-launch-1.0', ['--version'])]);
  const p = clip.params;
  return [
    `- machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}; Node ${process.version}; ${ffmpeg}; ${gst}`,
    `- content: ${p.width}x${p.height}@${p.fps} H.264 High (${p.bframes} B-frames, GOP ${p.gop}) at ` +
      `${p.videoBitrateKbps ?? 'crf'} kbit/s + AAC-LC 128 kbit/s stereo 48 kHz; ${p.seconds} s clip, MP4 and FLV of the same encode`,
    `- window: ${windowSec} s per step after ${settleSec} s settling; readers opened 16 at a time; servers take turns ` +
      `at each step; ${link ? `readers in network namespace ${link.namespace}, one veth link away (${link.readerAddress} → ${link.serverAddress}; ` +
        `veth-link.ts: their receive path on a NAPI thread, its CPU shown after the "+" in the reader-side column; the servers' end without TSO, ${args.uso === 'on' ? 'with' : 'without'} UDP segmentation offload)` : 'all on 127.0.0.1'}`,
    `- streamgate fan-out settings: ${fanoutSettings()}`,
  ].join('\n');
}

/** What the gateway child (same build, same environment) uses for TCP and UDP readers. */
function fanoutSettings(): string {
  const config = loadConfig(process.env, '/nonexistent/.env');
  const tcp = config.RTSP_TCP_MERGE_MS > 0
    ? `TCP merged writes ${config.RTSP_TCP_MERGE_MS} ms from ${config.RTSP_TCP_MERGE_READERS} TCP readers per stream`
    : 'TCP merged writes off';
  const native = loadUdpFanout();
  const udp = native.binding
    ? `UDP batched sends (sendmmsg${process.env.STREAMGATE_UDP_GSO === 'off' ? ', GSO off' : ' + UDP GSO where the kernel has it'})`
    : `UDP through node:dgram (${native.reason})`;
  return `${tcp}; ${udp}`;
}

async function main(): Promise<void> {
  const started = Date.now();
  log('rendering (or reusing) the 1080p30 clip…');
  const clip = await makeTestClip({
    seconds: Number(args['clip-seconds']), width: 1920, height: 1080, fps: 30, bframes: 2, gop: 60,
    audio: true, videoBitrateKbps: 4000, cacheDir: join(tmpdir(), 'streamgate-bench-clips'), timeoutMs: 600_000,
  });
  const rows: FanoutRow[] = [];
  const notes: string[] = [];
  const starters: Record<string, () => Promise<ServerUnderTest>> = {
    gstreamer: () => startGstreamerUnderTest(clip, listen),
    streamgate: () => startStreamgateUnderTest(clip, 30_000, { listen }),
    // The same with a users list: every reader answers a Digest challenge on DESCRIBE and SETUP.
    'streamgate-digest': () => startStreamgateUnderTest(clip, 30_000, { digest: true, listen }),
  };
  const live: LiveServer[] = [];
  if (args.network === 'veth') link = VethLink.create({ udpSegmentationOffload: args.uso === 'on' });
  const listen = link ? 'all' : 'loopback';
  try {
    for (const name of args.servers.split(',')) {
      const start = starters[name];
      if (!start) throw new Error(`unknown server ${name} (${Object.keys(starters).join(', ')})`);
      const s = await startServer(name, start, notes);
      if (s) live.push(s);
    }
    await runSteps(live, rows, notes);
  } finally {
    await Promise.all(live.map((l) => l.server.stop()));
    link?.remove();
  }
  addIncrementalCpu(rows);
  emitReport(started, [
    await environment(clip),
    ...notes.map((n) => `- ${n}`),
    '',
    resultsTable(rows),
    '',
    ratioTable(rows),
    ...(repeats > 1 ? ['', repeatTable(rows, live[0]?.server.name ?? '')] : []),
  ], args.out);
}

runBench(main);
