/**
 * RTSP pull benchmark (issue "Pull RTSP cameras"): 1, 10 and 50 cameras at 360p25 ~1 Mbit/s
 * (GStreamer RTSP servers in `--file` mode, one pre-encoded MP4; or, with `--simulator farm`, one
 * Node process of cameras playing the same clip's RTP, for 200) pulled over TCP and over UDP
 * into ONE all-in-one gateway process, cameras added through POST /api/config/streams.
 * Measures the gateway's CPU per camera (/proc utime+stime), RSS, and loss from the gateway's
 * own status (packets_lost vs packets_received) and from a few RtspReaders on the republished
 * streams. After each step the same cameras are pulled by N ffmpeg processes (`-c copy -f null`,
 * issue #16's peer) over the same window, so every ratio comes from one run (`--peer none` skips it);
 * `--peer ffmpeg,node` also measures the Node read floor (node-read-floor.ts: one Node process
 * that only reads the same sessions).
 *
 *   npm run build && node dist/test/bench/pull.bench.js [--cameras 1,10,50] [--transports tcp,udp]
 *     [--window 20] [--settle 8] [--readers 3] [--per-server 25] [--mounts N] [--simulator gst|farm]
 *     [--peer ffmpeg[,node]|none] [--rounds N] [--out FILE]
 *
 * `--rounds N` measures every step N times (gateway, then its peers, each round) and adds the
 * median and range of each ratio: on 2 cores one window's ratio moves by ±20 % between runs.
 */
import { emitReport, log, runBench } from './bench-run';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { delay, makeTestClip, RtspReader, TestClip, waitFor } from '@streamgate/testing';
import { Cameras, CameraServers } from './camera-servers';
import { CameraFarm } from './camera-farm';
import { firstLine, GatewayProcess, sourceRevision, startAllInOne } from './gateway-process';
import { cpuSeconds, machineBusyPct, machineJiffies, rssMiB, sampleRss } from './proc-stats';
import { summarizeWindow } from './reader-fleet';
import { FfmpegPullers } from './ffmpeg-pullers';
import { spawnTracked, TrackedProcess } from '@streamgate/testing';

const { values: args } = parseArgs({
  options: {
    cameras: { type: 'string', default: '1,10,50' },
    transports: { type: 'string', default: 'tcp,udp' },
    window: { type: 'string', default: '20' },
    settle: { type: 'string', default: '8' },
    readers: { type: 'string', default: '3' },
    'per-server': { type: 'string', default: '25' },
    /** GStreamer mounts the cameras share (default: one per camera); see CameraServers. */
    mounts: { type: 'string' },
    /** gst: GStreamer RTSP servers (CameraServers); farm: one Node process of cameras (CameraFarm), for 200. */
    simulator: { type: 'string', default: 'gst' },
    'clip-seconds': { type: 'string', default: '120' },
    'video-kbps': { type: 'string', default: '900' },
    'no-audio': { type: 'boolean', default: false },
    peer: { type: 'string', default: 'ffmpeg' },
    rounds: { type: 'string', default: '1' },
    out: { type: 'string' },
  },
});

type Transport = 'tcp' | 'udp';
const cameraCounts = args.cameras.split(',').map(Number).filter((n) => n > 0);
const transports = args.transports.split(',').filter((t): t is Transport => t === 'tcp' || t === 'udp');
const windowSec = Number(args.window);
const settleSec = Number(args.settle);
const readerCount = Number(args.readers);
const peerNames = args.peer.split(',').filter((p): p is PeerName => p === 'ffmpeg' || p === 'node');
const withPeer = peerNames.length > 0;
const rounds = Math.max(1, Number(args.rounds));
if (args.simulator !== 'gst' && args.simulator !== 'farm') throw new Error(`--simulator ${args.simulator}: gst or farm`);
if (args.simulator === 'farm' && args.mounts !== undefined) throw new Error('--mounts shares GStreamer mounts; the farm gives every camera its own playout');
type PeerName = 'ffmpeg' | 'node';

interface StreamStatus {
  name: string;
  playing: boolean;
  packets_received: number;
  packets_lost: number;
  bytes_received: number;
  reconnects: number;
  fps: number;
}

interface PullRow {
  transport: Transport;
  cameras: number;
  playing: number;
  cpuPct: number;
  idleCpuPct: number;
  rssPeakMiB: number;
  idleRssMiB: number;
  kbpsPerCamera: number;
  packetsPerSecPerCamera: number;
  lossPct: number;
  worstCameraLossPct: number;
  reconnects: number;
  readers: number;
  readerLossMeanPct: number;
  readerLossMaxPct: number;
  readerMbps: number;
  camerasCpuPct: number;
  machineBusyPct: number;
  peers: PeerRow[];
}

/**
 * The same cameras pulled right after the gateway's step: by N ffmpeg processes (`-c copy -f
 * null`), or read by one Node process that does nothing else (the floor).
 */
interface PeerRow {
  name: PeerName;
  /** Processes (ffmpeg) or sessions (node) still pulling at the end of the window. */
  running: number;
  cpuPct: number;
  missedPackets: number;
  rssMiBPerProcess: number;
  machineBusyPct: number;
}

async function statuses(gw: GatewayProcess, names: Set<string>): Promise<Map<string, StreamStatus>> {
  const res = await gw.api<{ streams: StreamStatus[] }>('GET', '/api/streams');
  return new Map(res.streams.filter((s) => names.has(s.name)).map((s) => [s.name, s]));
}

/** CPU seconds of all `pids` (a process that is gone counts 0; the peer row says how many ran). */
function sumCpu(pids: number[]): number {
  let n = 0;
  for (const pid of pids) {
    try {
      n += cpuSeconds(pid);
    } catch {
      // exited: /proc/<pid> is gone
    }
  }
  return n;
}

async function measure(gw: GatewayProcess, cams: Cameras, transport: Transport, n: number, idle: { cpu: number; rss: number }): Promise<PullRow> {
  const names = cams.names.slice(0, n);
  const nameSet = new Set(names);
  const loaded = await gw.api<{ results?: { status: string; reason?: string }[] }>('POST', '/api/config/streams', {
    streams: names.map((name) => ({ name, rtsp_url: cams.url(name), transport })),
  });
  const failed = (loaded.results ?? []).filter((r) => r.status === 'failed');
  if (failed.length) throw new Error(`POST /api/config/streams: ${failed.length} failed, first: ${failed[0].reason}`);
  const addedAt = Date.now();
  let last = new Map<string, StreamStatus>();
  await waitFor(async () => {
    last = await statuses(gw, nameSet);
    return [...last.values()].filter((s) => s.playing).length === n ? true : undefined;
  }, 30_000 + n * 1000, `${n} cameras playing`, 500).catch((e: unknown) => {
    const waiting = [...last.values()].filter((s) => !s.playing);
    throw new Error(`${e instanceof Error ? e.message : String(e)}: ${n - waiting.length} playing; first waiting: ${JSON.stringify(waiting[0] ?? null)}`);
  });
  log(`  ${n} cameras playing after ${((Date.now() - addedAt) / 1000).toFixed(1)} s`);
  const readers: RtspReader[] = [];
  for (const name of names.slice(0, readerCount)) {
    readers.push(await RtspReader.open(`rtsp://127.0.0.1:${gw.rtspPort}/${name}`, { transport: 'tcp', timeoutMs: 10_000 }));
  }
  await delay(settleSec * 1000);

  const s0 = await statuses(gw, nameSet);
  const r0 = readers.map((r) => r.stats());
  const c0 = cpuSeconds(gw.pid);
  const g0 = sumCpu(cams.pids);
  const m0 = machineJiffies();
  const t0 = performance.now();
  const rss = sampleRss(gw.pid);
  await delay(windowSec * 1000);
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(gw.pid) - c0;
  const camsCpu = sumCpu(cams.pids) - g0;
  const machine = machineBusyPct(m0, machineJiffies());
  const rssPeakMiB = rss.stop();
  const r1 = readers.map((r) => r.stats());
  const s1 = await statuses(gw, nameSet);

  let received = 0;
  let lost = 0;
  let bytes = 0;
  let reconnects = 0;
  let worst = 0;
  for (const name of names) {
    const a = s1.get(name);
    const b = s0.get(name);
    if (!a || !b) continue;
    const dr = a.packets_received - b.packets_received;
    const dl = a.packets_lost - b.packets_lost;
    received += dr;
    lost += dl;
    bytes += a.bytes_received - b.bytes_received;
    reconnects += a.reconnects - b.reconnects;
    worst = Math.max(worst, dr + dl > 0 ? (100 * dl) / (dr + dl) : 100);
  }
  const readerWindow = summarizeWindow(r0, r1, elapsed, 0);
  await Promise.all(readers.map((r) => r.close(2000)));
  // Remove the cameras; the gateway TEARDOWNs, so every GStreamer pipeline stops and the next step starts afresh.
  for (const name of names) await gw.api('DELETE', `/api/streams/${name}`);
  await waitFor(() => (cams.sessions() === 0 ? true : undefined), 20_000, 'camera sessions to close', 250).catch((e: unknown) => {
    log(`  ${e instanceof Error ? e.message : String(e)} (${cams.sessions()} left)`);
  });
  await delay(2000);
  const peers: PeerRow[] = [];
  for (const p of peerNames) peers.push(await measurePeer(p, cams, transport, names));

  return {
    peers,
    transport,
    cameras: n,
    playing: [...s1.values()].filter((s) => s.playing).length,
    cpuPct: (100 * cpu) / elapsed,
    idleCpuPct: idle.cpu,
    rssPeakMiB,
    idleRssMiB: idle.rss,
    kbpsPerCamera: (bytes * 8) / 1000 / elapsed / n,
    packetsPerSecPerCamera: received / elapsed / n,
    lossPct: received + lost > 0 ? (100 * lost) / (received + lost) : 100,
    worstCameraLossPct: worst,
    reconnects,
    readers: readers.length,
    readerLossMeanPct: readerWindow.meanLossPct,
    readerLossMaxPct: readerWindow.maxLossPct,
    readerMbps: readerWindow.meanMbps,
    camerasCpuPct: (100 * camsCpu) / elapsed,
    machineBusyPct: machine,
  };
}

async function waitSessions(cams: Cameras, n: number, ms: number): Promise<void> {
  await waitFor(() => (cams.sessions() === n ? true : undefined), ms, `${n} camera sessions`, 250).catch((e: unknown) => {
    log(`  ${e instanceof Error ? e.message : String(e)} (${cams.sessions()} open)`);
  });
}

/** A peer pulling the same cameras: its processes, and how many of them (or their sessions) still pull. */
interface RunningPeer {
  pids: number[];
  missed(): number;
  running(): number;
  stop(): Promise<void>;
}

async function startPeer(name: PeerName, urls: string[], transport: Transport): Promise<RunningPeer> {
  if (name === 'ffmpeg') {
    const pullers = FfmpegPullers.start(urls, transport);
    return { pids: pullers.pids, missed: () => pullers.missedPackets(), running: () => urls.length - pullers.exited(), stop: () => pullers.stop() };
  }
  const floor: TrackedProcess = spawnTracked(process.execPath, [join(__dirname, 'node-read-floor.js'), '--transport', transport, ...urls]);
  const opened = await waitFor(() => /open (\d+) failed (\d+)/.exec(floor.stdout()) ?? (floor.child.exitCode !== null ? [] : undefined), 30_000 + urls.length * 500, 'the Node read floor to open its sessions', 250);
  if (opened.length === 0) throw new Error(`node-read-floor exited: ${floor.stderr().slice(-500)}`);
  // Its latest once-a-second line: sessions still playing, and sequence gaps so far.
  const latest = (): { playing: number; lost: number } => {
    const all = [...floor.stdout().matchAll(/stats playing (\d+) packets \d+ lost (\d+)/g)];
    const last = all.at(-1);
    return last ? { playing: Number(last[1]), lost: Number(last[2]) } : { playing: Number(opened[1]), lost: 0 };
  };
  return {
    pids: [floor.pid],
    missed: () => latest().lost,
    running: () => (floor.child.exitCode === null ? latest().playing : 0),
    stop: async () => {
      await floor.kill(5000);
    },
  };
}

async function measurePeer(name: PeerName, cams: Cameras, transport: Transport, names: string[]): Promise<PeerRow> {
  const peer = await startPeer(name, names.map((n) => cams.url(n)), transport);
  try {
    await waitSessions(cams, names.length, 30_000 + names.length * 500);
    await delay(settleSec * 1000);
    const pids = peer.pids;
    const c0 = sumCpu(pids);
    const missed0 = peer.missed();
    const m0 = machineJiffies();
    const t0 = performance.now();
    await delay(windowSec * 1000);
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = sumCpu(pids) - c0;
    const rss = pids.reduce((a, pid) => a + rssMiB(pid), 0) / pids.length;
    const row: PeerRow = {
      name,
      running: peer.running(),
      cpuPct: (100 * cpu) / elapsed,
      missedPackets: peer.missed() - missed0,
      rssMiBPerProcess: rss,
      machineBusyPct: machineBusyPct(m0, machineJiffies()),
    };
    log(`  ${name} peer: CPU ${row.cpuPct.toFixed(1)} % (${(row.cpuPct / names.length).toFixed(2)} % per camera), ${row.running} running, ${row.missedPackets} packets missed`);
    return row;
  } finally {
    await peer.stop();
    await waitSessions(cams, 0, 20_000);
    await delay(2000);
  }
}

/** The gateway's CPU per camera above idle, and a peer's per camera (NaN when it did not run): % of a core. */
const gatewayPerCamera = (r: PullRow): number => (r.cpuPct - r.idleCpuPct) / r.cameras;
const peerPerCamera = (r: PullRow, name: PeerName): number => (r.peers.find((p) => p.name === name)?.cpuPct ?? NaN) / r.cameras;

const f = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : '–');

function table(rows: PullRow[]): string {
  const head = [
    '| transport | cameras (playing) | gateway CPU % of a core | idle CPU % | CPU per camera, % of a core | CPU per extra camera, % of a core | peak RSS MiB | RSS per extra camera MiB | kbit/s per camera | RTP pkt/s per camera | loss % all / worst camera | reconnects | readers: loss % mean / max, Mbit/s | camera servers CPU % | machine busy % |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const lines = rows.map((r) => {
    const one = rows.find((x) => x.transport === r.transport && x.cameras === 1);
    const extra = one && r.cameras > 1 ? (r.cpuPct - one.cpuPct) / (r.cameras - 1) : NaN;
    return `| ${r.transport} | ${r.cameras} (${r.playing}) | ${f(r.cpuPct)} | ${f(r.idleCpuPct)} | ${f(gatewayPerCamera(r), 2)} | ` +
      `${f(extra, 2)} | ${f(r.rssPeakMiB, 0)} | ${f(one && r.cameras > 1 ? (r.rssPeakMiB - one.rssPeakMiB) / (r.cameras - 1) : NaN, 2)} | ${f(r.kbpsPerCamera, 0)} | ` +
      `${f(r.packetsPerSecPerCamera, 0)} | ${f(r.lossPct, 3)} / ${f(r.worstCameraLossPct, 3)} | ${r.reconnects} | ` +
      `${r.readers}: ${f(r.readerLossMeanPct, 2)} / ${f(r.readerLossMaxPct, 2)}, ${f(r.readerMbps, 2)} | ${f(r.camerasCpuPct)} | ${f(r.machineBusyPct, 0)} |`;
  });
  return [...head, ...lines].join('\n');
}

/**
 * Gateway beside the ffmpeg peer at each step (the issue's "CPU per camera ≤ 1.0× ffmpeg's"),
 * and the Node read floor when it ran: reading alone, as a share of ffmpeg's whole cost.
 */
function peerTable(rows: PullRow[]): string {
  const head = [
    '| transport | cameras | streamgate CPU per camera, % of a core | ffmpeg CPU per camera, % of a core | streamgate ÷ ffmpeg | Node read floor per camera, % of a core (sessions, packets lost) | floor ÷ ffmpeg | streamgate loss % | ffmpeg missed packets (running) | streamgate RSS per camera MiB (above idle) | ffmpeg RSS per process MiB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const lines = rows.filter((r) => r.peers.length > 0).map((r) => {
    const ffmpeg = r.peers.find((p) => p.name === 'ffmpeg');
    const node = r.peers.find((p) => p.name === 'node');
    const sg = gatewayPerCamera(r);
    const ff = peerPerCamera(r, 'ffmpeg');
    const fl = peerPerCamera(r, 'node');
    return `| ${r.transport} | ${r.cameras} | ${f(sg, 2)} | ${f(ff, 2)} | **${f(sg / ff, 2)}** | ${f(fl, 2)}${node ? ` (${node.running}/${r.cameras} playing, ${node.missedPackets} lost)` : ''} | ${f(fl / ff, 2)} | ` +
      `${f(r.lossPct, 3)} | ${ffmpeg ? `${ffmpeg.missedPackets} (${ffmpeg.running}/${r.cameras})` : '–'} | ` +
      `${f((r.rssPeakMiB - r.idleRssMiB) / r.cameras, 2)} | ${ffmpeg ? f(ffmpeg.rssMiBPerProcess, 1) : '–'} |`;
  });
  return [...head, ...lines].join('\n');
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** `--rounds`: each step's ratios over the rounds, median and range (every ratio from its own round). */
function roundsTable(rows: PullRow[]): string {
  const head = [
    '| transport | cameras | rounds | streamgate ÷ ffmpeg, median (range) | streamgate % per camera, median | ffmpeg % per camera, median | floor ÷ ffmpeg, median (range) |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  const steps = [...new Set(rows.map((r) => `${r.transport} ${r.cameras}`))];
  const lines = steps.map((step) => {
    const rs = rows.filter((r) => `${r.transport} ${r.cameras}` === step && r.peers.some((p) => p.name === 'ffmpeg'));
    const sg = rs.map(gatewayPerCamera);
    const ff = rs.map((r) => peerPerCamera(r, 'ffmpeg'));
    const ratios = sg.map((x, i) => x / ff[i]);
    const floors = rs.map((r, i) => peerPerCamera(r, 'node') / ff[i]).filter(Number.isFinite);
    const range = (xs: number[]): string => (xs.length ? `**${f(median(xs), 2)}** (${f(Math.min(...xs), 2)}–${f(Math.max(...xs), 2)})` : '–');
    const [transport, cameras] = step.split(' ');
    return `| ${transport} | ${cameras} | ${rs.length} | ${range(ratios)} | ${f(median(sg), 2)} | ${f(median(ff), 2)} | ${range(floors)} |`;
  });
  return [...head, ...lines].join('\n');
}

async function environment(clip: TestClip, cams: Cameras): Promise<string> {
  const [ffmpeg, gst, rev] = await Promise.all([
    firstLine('ffmpeg', ['-version']), firstLine('gst-launch-1.0', ['--version']), sourceRevision(),
  ]);
  const p = clip.params;
  return [
    `- machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}; Node ${process.version}; ${ffmpeg}; ${gst}; streamgate ${rev}`,
    `- cameras: ${cams.describe()}, ` +
      `${p.width}x${p.height}@${p.fps} H.264 High (${p.bframes} B-frames, GOP ${p.gop}) at ${p.videoBitrateKbps} kbit/s` +
      `${p.audio ? ' + AAC-LC 128 kbit/s' : ''}, ${p.seconds} s clip played from the start for each step`,
    `- gateway: node dist/services/all-in-one.js, cameras added in one POST /api/config/streams with transport tcp or udp; ` +
      `${readerCount} RtspReader(s) (TCP) on the first republished streams; window ${windowSec} s after all cameras play + ${settleSec} s`,
    ...(peerNames.includes('ffmpeg') ? [`- peer, right after each gateway step against the same cameras: N × ffmpeg -rtsp_transport tcp|udp -i rtsp://… -c copy -f null - (CPU summed over the processes, same window and settling)`] : []),
    ...(peerNames.includes('node') ? [`- Node read floor, after that: one node process (test/bench/node-read-floor.ts) holding one RtspReader session per camera over the same transport, reading and counting RTP only (same window and settling)`] : []),
  ].join('\n');
}

async function main(): Promise<void> {
  const started = Date.now();
  const audio = !args['no-audio'];
  log('rendering (or reusing) the 360p25 clip…');
  const clip = await makeTestClip({
    seconds: Number(args['clip-seconds']), width: 640, height: 360, fps: 25, bframes: 0, gop: 50, audio,
    videoBitrateKbps: Number(args['video-kbps']), cacheDir: join(tmpdir(), 'streamgate-bench-clips'), timeoutMs: 600_000,
  });
  const maxCams = Math.max(...cameraCounts);
  const cams: Cameras = args.simulator === 'farm'
    ? await CameraFarm.start(maxCams, clip.mp4, audio)
    : await CameraServers.start(maxCams, Number(args['per-server']), clip.mp4, audio, args.mounts ? Number(args.mounts) : maxCams);
  const rows: PullRow[] = [];
  const notes: string[] = [];
  let gw: GatewayProcess | undefined;
  try {
    gw = await startAllInOne();
    const c0 = cpuSeconds(gw.pid);
    await delay(5000);
    const idle = { cpu: (100 * (cpuSeconds(gw.pid) - c0)) / 5, rss: rssMiB(gw.pid) };
    log(`gateway idle: CPU ${idle.cpu.toFixed(1)} %, RSS ${idle.rss.toFixed(0)} MiB (pid ${gw.pid})`);
    for (let round = 1; round <= rounds; round++) for (const transport of transports) {
      for (const n of cameraCounts) {
        log(`${transport}: ${n} cameras${rounds > 1 ? ` (round ${round} of ${rounds})` : ''}…`);
        try {
          const row = await measure(gw, cams, transport, n, idle);
          rows.push(row);
          log(`  CPU ${row.cpuPct.toFixed(1)} % (${gatewayPerCamera(row).toFixed(2)} % per camera), RSS ${row.rssPeakMiB.toFixed(0)} MiB, ` +
            `loss ${row.lossPct.toFixed(3)} %, ${row.kbpsPerCamera.toFixed(0)} kbit/s per camera, cameras CPU ${row.camerasCpuPct.toFixed(0)} %, machine ${row.machineBusyPct.toFixed(0)} %`);
        } catch (e) {
          const why = e instanceof Error ? e.message : String(e);
          notes.push(`${transport} × ${n}: not measured: ${why.split('\n')[0]}`);
          log(`  failed: ${why}`);
        }
      }
    }
  } finally {
    await gw?.stop();
    await cams.stop();
  }
  emitReport(started, [
    await environment(clip, cams),
    ...notes.map((n) => `- ${n}`),
    '',
    table(rows),
    ...(withPeer ? ['', peerTable(rows)] : []),
    ...(withPeer && rounds > 1 ? ['', roundsTable(rows)] : []),
  ], args.out);
}

runBench(main);
