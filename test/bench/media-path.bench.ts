/**
 * Media path benchmark (issue #16): the per-packet work between a camera's socket and the
 * access units readers get, with no sockets: captured camera RTP (ffmpeg, 360p25 H.264 ~900
 * kbit/s + AAC, rendered once) goes through ingest's RtpReceiver (in reads of two packets, as
 * the gateway's reads measured), its envelopes, the in-process bus and the real packetizer
 * service, for N streams at once, as fast as it goes. It reports CPU per input packet (all
 * threads: GC helpers included) and garbage collections, each run in a fresh process.
 *
 * Its peer is another build of streamgate: with `--base <dir>` (the dist/ of an older commit,
 * built inside a checkout with node_modules) the same harness runs that build in turns with
 * this one, and the ratio comes from one run. The pull benchmark (sockets, cameras, ffmpeg)
 * is the one to judge the gateway by; this one is steady enough to tell a 5 % change apart.
 *
 *   npm run build && node dist/test/bench/media-path.bench.js [--streams 50] [--runs 5] [--base DIR]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PerformanceObserver } from 'node:perf_hooks';
import { GATEWAY_NODE_FLAGS } from '@streamgate/platform';
import { emitReport, log, runBench } from './bench-run';
import { DIST } from './gateway-process';
import { cachedRtpCapture, RtpCaptureFile } from './rtp-capture-cache';

const { values: args } = parseArgs({
  options: {
    streams: { type: 'string', default: '50' },
    runs: { type: 'string', default: '5' },
    base: { type: 'string' },
    worker: { type: 'string' },
    capture: { type: 'string' },
    out: { type: 'string' },
  },
});

interface WorkerResult {
  packets: number;
  usPerPacket: number;
  gcMinor: number;
  gcMajor: number;
  gcMs: number;
}

/** What the harness takes from a build (its dist/ layout is the same in every commit since #10). */
interface Build {
  startPacketizer(ctx: unknown, options: object): Promise<{ stop(): Promise<void> }>;
  contracts: {
    Subjects: { streamEvents(s: string): string; mediaIn(s: string): string };
    StreamEvent: unknown;
    encodeJson(schema: unknown, value: unknown): Uint8Array;
    encodeEnvelope(msg: object, allocate: (n: number) => Uint8Array): Uint8Array;
    sourceFormatOf(t: unknown): unknown;
  };
  platform: {
    InProcessBus: new () => { publish(subject: string, data: Uint8Array): void; close(): Promise<void> };
    MemoryStateStore: new () => unknown;
    ConfigSchema: { parse(v: object): unknown };
    createLogger(o: object): unknown;
    createMetricsCatalog(name: string): unknown;
    securityContext(config: unknown, logger: unknown): object;
    AccessControl: new (config: unknown, logger: unknown, store: undefined) => unknown;
  };
  RtpReceiver: new (options: object, onBatch: (packets: Uint8Array[], receivedAt: number, newSource: boolean) => void) => {
    receive(p: Uint8Array, at: number): boolean;
    flush(): void;
  };
  /** Where the build's camera-puller writes envelopes. */
  envelopeAllocator(): (size: number) => Uint8Array;
  readSdpFormats(sdp: string): { tracks: unknown[] };
}

function loadBuild(dist: string): Build {
  const load = (p: string): Record<string, unknown> => module.require(join(dist, p)) as Record<string, unknown>;
  const rtp = load('libs/protocol/rtp/src/index.js');
  const media = load('libs/media/src/index.js');
  return {
    startPacketizer: load('services/packetizer/src/index.js').startPacketizer as Build['startPacketizer'],
    contracts: load('libs/contracts/src/index.js') as unknown as Build['contracts'],
    platform: load('libs/platform/src/index.js') as unknown as Build['platform'],
    RtpReceiver: rtp.RtpReceiver as Build['RtpReceiver'],
    envelopeAllocator: () => {
      // As that build's camera-puller does it: its READ_ENVELOPES slab, or (older builds) Node's pool.
      const slab = load('services/ingest/src/rtsp/camera-puller.js').READ_ENVELOPES as { allocate(size: number): Uint8Array } | undefined;
      return slab ? slab.allocate : Buffer.allocUnsafe;
    },
    readSdpFormats: media.readSdpFormats as Build['readSdpFormats'],
  };
}

/** One run in this process: every stream gets the capture's packets, read by read. */
async function work(dist: string, capturePath: string, streams: number): Promise<WorkerResult> {
  const b = loadBuild(dist);
  const capture = JSON.parse(readFileSync(capturePath, 'utf8')) as RtpCaptureFile;
  const { platform: P, contracts: C } = b;
  const logger = P.createLogger({ service: 'media-path-bench', level: 'silent' });
  const config = P.ConfigSchema.parse({});
  const bus = new P.InProcessBus();
  const ctx = {
    bus, store: new P.MemoryStateStore(), config, logger, metrics: P.createMetricsCatalog('packetizer'),
    ...P.securityContext(config, logger), access: new P.AccessControl(config, logger, undefined),
  };
  const running = await b.startPacketizer(ctx, {});
  const formats = b.readSdpFormats(capture.sdp).tracks.map((t) => C.sourceFormatOf(t));
  const names = Array.from({ length: streams }, (_, i) => `cam${i}`);
  for (const s of names) {
    bus.publish(C.Subjects.streamEvents(s), C.encodeJson(C.StreamEvent, { type: 'source-started', stream: s, source: 'rtsp', at: Date.now(), generation: 1, formats }));
  }
  await new Promise((r) => setImmediate(r));
  // Ingest's side per stream and track: its receiver, and publishBatch as camera-puller has it.
  const allocate = b.envelopeAllocator();
  const receivers = names.map((s) => {
    return [0, 1].map((track) => new b.RtpReceiver(
      { clockRate: track === 0 ? 90_000 : 48_000, maxPackets: 128, maxDelayMs: 500, retain: (p: Uint8Array) => new Uint8Array(p) },
      (packets, receivedAt, newSource) => bus.publish(C.Subjects.mediaIn(s), C.encodeEnvelope({ kind: 'rtp-batch', track, rtcp: false, newSource, receivedAt, packets }, allocate)),
    ));
  });
  // Reads of up to two packets of one track (what the gateway's reads held on average).
  const packets = capture.packets.map((p) => ({ track: p.track, at: p.receivedAt, data: Buffer.from(p.data, 'base64') }));
  const reads: { track: number; at: number; packets: Buffer[] }[] = [];
  for (let i = 0; i < packets.length;) {
    const first = packets[i++];
    const read = [first.data];
    if (i < packets.length && packets[i].track === first.track) read.push(packets[i++].data);
    reads.push({ track: first.track, at: first.at, packets: read });
  }
  const gc = { minor: 0, major: 0, ms: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === 1) gc.minor++;
      else if (kind === 4) gc.major++;
      gc.ms += e.duration;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  // Every read lands in one shared buffer, as camera TCP reads do; packets are views into it.
  const shared = Buffer.alloc(65_536);
  const cpu0 = process.cpuUsage();
  let n = 0;
  const t0 = reads[0].at;
  for (let r = 0; r < reads.length; r++) {
    const read = reads[r];
    for (let s = 0; s < streams; s++) {
      const receiver = receivers[s][read.track];
      let offset = 0;
      for (const p of read.packets) {
        shared.set(p, offset);
        receiver.receive(shared.subarray(offset, offset + p.byteLength), read.at - t0 + 1_000_000);
        offset += p.byteLength;
        n++;
      }
      receiver.flush();
    }
    // The loop turns as the gateway's does between reads (the bus delivers in microtasks).
    if (r % 4 === 3) await new Promise((res) => setImmediate(res));
  }
  await new Promise((res) => setImmediate(res));
  const cpu = process.cpuUsage(cpu0);
  observer.disconnect();
  await running.stop();
  await bus.close();
  return { packets: n, usPerPacket: (cpu.user + cpu.system) / n, gcMinor: gc.minor, gcMajor: gc.major, gcMs: gc.ms };
}

/** 20 s of 360p25 H.264 (no B-frames, GOP 50, ~900 kbit/s) + AAC-LC 48 kHz stereo as RTP, once. */
function captureFile(): Promise<string> {
  return cachedRtpCapture(
    'media-path-rtp-360p25-20s',
    ['-re', '-t', '20', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-re', '-t', '20', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'],
    [
      ['-map', '0:v', '-c:v', 'libx264', '-profile:v', 'high', '-pix_fmt', 'yuv420p', '-bf', '0', '-g', '50', '-b:v', '900k', '-maxrate', '900k', '-bufsize', '900k'],
      ['-map', '1:a', '-c:a', 'aac', '-b:a', '128k', '-ac', '2'],
    ],
  );
}

function runWorker(dist: string, capture: string, streams: number): WorkerResult {
  const self = join(__dirname, 'media-path.bench.js');
  const r = spawnSync(process.execPath, [...GATEWAY_NODE_FLAGS, self, '--worker', dist, '--capture', capture, '--streams', String(streams)], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`worker for ${dist} failed (${r.status ?? r.signal}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as WorkerResult;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const started = Date.now();
  const streams = Number(args.streams);
  const runs = Number(args.runs);
  const capture = await captureFile();
  const builds: { name: string; dist: string }[] = [{ name: 'this build', dist: DIST }];
  if (args.base) builds.push({ name: `base (${args.base})`, dist: resolve(args.base) });
  const results = new Map<string, WorkerResult[]>(builds.map((b) => [b.name, []]));
  for (let i = 0; i < runs; i++) {
    // In turns, so a machine that slows down or speeds up weighs on both alike.
    for (const b of i % 2 === 0 ? builds : [...builds].reverse()) {
      const r = runWorker(b.dist, capture, streams);
      results.get(b.name)?.push(r);
      log(`${b.name}: ${r.usPerPacket.toFixed(2)} µs per packet, GC ${r.gcMinor} minor / ${r.gcMajor} major`);
    }
  }
  const rows = builds.map((b) => {
    const rs = results.get(b.name) ?? [];
    return { name: b.name, us: median(rs.map((r) => r.usPerPacket)), min: Math.min(...rs.map((r) => r.usPerPacket)), minor: median(rs.map((r) => r.gcMinor)), major: median(rs.map((r) => r.gcMajor)), packets: rs[0]?.packets ?? 0 };
  });
  const table = [
    '| build | CPU µs per input packet (median / best) | minor GCs (median) | major GCs (median) | packets per run |',
    '|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${r.us.toFixed(2)} / ${r.min.toFixed(2)} | ${r.minor} | ${r.major} | ${r.packets} |`),
  ];
  if (rows.length === 2) table.push('', `This build ÷ base: **${(rows[0].us / rows[1].us).toFixed(2)}** (median CPU per packet).`);
  emitReport(started, [
    `- ${streams} streams × the same captured RTP (${rows[0]?.packets / streams} packets each), ${runs} runs per build in turns, each in a fresh node with ${GATEWAY_NODE_FLAGS.join(' ')}`,
    '',
    ...table,
  ], args.out);
}

if (args.worker) {
  work(args.worker, args.capture ?? '', Number(args.streams))
    .then((r) => process.stdout.write(`${JSON.stringify(r)}\n`))
    .catch((e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
      process.exitCode = 1;
    });
} else {
  runBench(main);
}
