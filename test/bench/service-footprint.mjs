// Start time and resident memory of each service process, as built (npm run build first).
// Usage: node test/bench/service-footprint.mjs [runs=5]   (STREAMGATE_ROOT=<checkout> measures another build)
// For each of ingest, packetizer, rtsp-egress, control-api and the all-in-one it spawns
// `node dist/services/...` on loopback with ephemeral ports and the in-process bus, times
// spawn → its "started"/"ready" log line, waits SETTLE_MS, reads VmRSS from /proc/<pid>/status,
// sends SIGTERM, and prints the median of the runs (docs/architecture.md quotes the results).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = process.env.STREAMGATE_ROOT ?? new URL('../..', import.meta.url).pathname;
const runs = Number(process.argv[2] ?? 5);
const SETTLE_MS = 2000;
const READY_TIMEOUT_MS = 30_000;

const services = [
  { name: 'ingest', main: 'dist/services/ingest/src/main.js', ready: /"msg":"ingest started"/ },
  { name: 'packetizer', main: 'dist/services/packetizer/src/main.js', ready: /"msg":"packetizer started"/ },
  { name: 'rtsp-egress', main: 'dist/services/rtsp-egress/src/main.js', ready: /"msg":"rtsp-egress started"/ },
  { name: 'control-api', main: 'dist/services/control-api/src/main.js', ready: /"msg":"control-api started"/ },
  { name: 'all-in-one', main: 'dist/services/all-in-one.js', ready: /streamgate ready/ },
];

function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function once(svc) {
  const dataDir = mkdtempSync(join(tmpdir(), 'sg-footprint-'));
  const env = {
    ...process.env, HOST: '127.0.0.1', PORT: '0', RTMP_PORT: '0', RTSP_PORT: '0', RTSP_UDP_RTP_PORT: '0', METRICS_PORT: '0',
    DATA_DIR: dataDir, LOG_LEVEL: 'info', SECRETS_KEY: 'a'.repeat(64),
  };
  delete env.NATS_URL;
  delete env.REDIS_URL;
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [join(root, svc.main)], { cwd: dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let done = false;
    const finish = (err, result) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
      if (err) reject(err); else resolve(result);
    };
    const timer = setTimeout(() => finish(new Error(`${svc.name} not ready in ${READY_TIMEOUT_MS} ms:\n${out.slice(-2000)}`)), READY_TIMEOUT_MS);
    const onData = (d) => {
      out += d.toString();
      if (svc.ready.test(out) && !child.readyAt) {
        child.readyAt = Number(process.hrtime.bigint() - t0) / 1e6;
        setTimeout(() => finish(null, { startMs: child.readyAt, rssMb: rssMb(child.pid) }), SETTLE_MS);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => finish(new Error(`${svc.name} exited with ${code}:\n${out.slice(-2000)}`)));
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(`node ${process.version}, ${runs} runs each, RSS read ${SETTLE_MS} ms after ready`);
console.log('service        start_ms  rss_mb');
for (const svc of services) {
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await once(svc));
  const start = median(results.map((r) => r.startMs));
  const rss = median(results.map((r) => r.rssMb));
  console.log(`${svc.name.padEnd(14)} ${start.toFixed(0).padStart(8)}  ${rss.toFixed(1).padStart(6)}`);
}
