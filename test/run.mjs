// Runs every compiled test file (dist/**/*.test.js) with node's test runner and ends with
// the plain summary line CI reads: "N passed, N failed".
// Usage: node test/run.mjs [substring filter ...]
import { spawnSync } from 'node:child_process';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
const filters = process.argv.slice(2);

function collect(dir, out) {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules') continue;
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (entry.endsWith('.test.js')) out.push(p);
  }
  return out;
}

// A compiled test whose source was deleted or renamed is stale: skip it.
const hasSource = (f) => existsSync(join(root, relative(dist, f)).replace(/\.js$/, '.ts'));
// An argument naming a .js file runs that file as is (test/run-leftovers.test.ts runs a fixture).
const explicit = filters.filter((f) => f.endsWith('.js') && existsSync(f));
const files = explicit.length > 0 ? explicit : collect(dist, [])
  .filter(hasSource)
  .filter((f) => !f.includes(`${join('test', 'bench')}`))
  .filter((f) => filters.length === 0 || filters.some((s) => relative(dist, f).includes(s)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

// Test peers (ffmpeg, GStreamer, servers) record their PIDs here (libs/testing recordChild). A
// file the runner stops at its timeout never runs its cleanup; what it left running is killed
// when the run ends, so nothing outlives the run.
const pidsDir = mkdtempSync(join(tmpdir(), 'streamgate-test-pids-'));
process.env.STREAMGATE_TEST_PIDS = pidsDir;
// Test peers' TCP ports are claimed here for the whole run (libs/testing freeTcpPort), so two
// files running side by side are never handed the same port.
const portsDir = mkdtempSync(join(tmpdir(), 'streamgate-test-ports-'));
process.env.STREAMGATE_TEST_PORTS = portsDir;

function killLeftovers() {
  let killed = 0;
  for (const file of readdirSync(pidsDir)) {
    for (const line of readFileSync(join(pidsDir, file), 'utf8').split('\n')) {
      const [pid, name] = line.split(' ');
      if (!pid) continue;
      let comm;
      try {
        comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      } catch {
        continue; // gone
      }
      // The kernel truncates comm to 15 characters; a PID reused by another program is left alone.
      if (!name || !name.startsWith(comm.slice(0, 15))) continue;
      try {
        process.kill(Number(pid), 'SIGKILL');
        killed++;
      } catch {
        // exited meanwhile
      }
    }
  }
  rmSync(pidsDir, { recursive: true, force: true });
  rmSync(portsDir, { recursive: true, force: true });
  if (killed > 0) console.log(`killed ${killed} test peer process(es) left running by their test files`);
}

let passed = 0;
let failed = 0;
let skipped = 0;

// Files that judge real consumers' timing (stalls, startup loss, timestamps) run alone, after
// the rest: beside another file on CI's 2 cores they measured the other file's load.
const SOLO = ['e2e/consumer-conformance.test.js'];
const solo = files.filter((f) => SOLO.some((s) => f.endsWith(s)));
const shared = files.filter((f) => !solo.includes(f));

function runFiles(list, concurrency) {
  // forceExit: a file ends when its tests and hooks have, not when its last handle closes (CI:
  // health.test passed in 1.5 s, then its process stayed up until the 300 s file timeout failed
  // it; not reproduced here in 8 runs, idle or loaded). Processes a file started are still
  // killed by PID below.
  const stream = run({ files: list, concurrency, forceExit: true, timeout: Number(process.env.TEST_FILE_TIMEOUT_MS ?? 300_000) });
  stream.on('test:pass', (e) => {
    if (e.details?.type === 'suite') return;
    if (e.skip || e.todo) skipped++;
    else passed++;
  });
  stream.on('test:fail', (e) => {
    if (e.details?.type === 'suite' && e.details?.error?.failureType === 'subtestsFailed') return;
    // A failing todo test does not fail the run (node's own reporters agree).
    if (e.todo) skipped++;
    else failed++;
  });
  const out = stream.compose(spec);
  out.pipe(process.stdout, { end: false });
  return new Promise((resolve) => out.on('end', resolve));
}

// GStreamer scans its plugins into a registry on its first run (seconds on a loaded machine):
// done once here, not inside the first test that starts a GStreamer peer under its timeout.
spawnSync('gst-inspect-1.0', ['rtspsrc'], { stdio: 'ignore', timeout: 60_000 });
// mpv likewise sets itself up once (caches) before the conformance matrix plays with it.
spawnSync('mpv', ['--no-config', '--vo=null', '--ao=null', '--length=0.2', 'av://lavfi:testsrc=size=64x64:rate=25'], { stdio: 'ignore', timeout: 60_000 });

const concurrency = Number(process.env.TEST_CONCURRENCY ?? 2);
if (shared.length > 0) await runFiles(shared, concurrency);
if (solo.length > 0) await runFiles(solo, 1);
setImmediate(() => {
  killLeftovers();
  console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
});
