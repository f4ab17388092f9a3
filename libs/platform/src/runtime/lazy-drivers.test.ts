import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A fresh process builds a service context the way every service main does and lists which
// distributed drivers it loaded: the all-in-one (no NATS_URL, no REDIS_URL) must load neither
// (nats ≈ 2.6 MiB, ioredis ≈ 4 MiB of RSS, docs/benchmarks.md); with the URLs it loads them.
const CONTEXT = join(__dirname, 'context.js');
const PROBE = `
const { createServiceContext } = require(${JSON.stringify(CONTEXT)});
createServiceContext('probe').then(() => {
  const loaded = Object.keys(require.cache).map((k) => /node_modules\\/(ioredis|nats)\\//.exec(k)?.[1]).filter(Boolean);
  console.log(JSON.stringify([...new Set(loaded)].sort()));
  process.exit(0);
}, (err) => { console.error(err); process.exit(1); });
`;

function driversLoaded(env: Record<string, string>): string[] {
  const dataDir = mkdtempSync(join(tmpdir(), 'streamgate-lazy-'));
  try {
    const base = { ...process.env };
    delete base.NATS_URL;
    delete base.REDIS_URL;
    delete base.OTEL_EXPORTER_OTLP_ENDPOINT;
    const r = spawnSync(process.execPath, ['-e', PROBE], { env: { ...base, DATA_DIR: dataDir, LOG_LEVEL: 'error', ...env }, encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '[]') as string[];
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

test('without NATS_URL and REDIS_URL neither nats nor ioredis is loaded', () => {
  assert.deepEqual(driversLoaded({}), []);
});

test('with NATS_URL and REDIS_URL both are loaded (the probe sees a driver when there is one)', () => {
  assert.deepEqual(driversLoaded({ NATS_URL: 'nats://127.0.0.1:4222', REDIS_URL: 'redis://127.0.0.1:6379' }), ['ioredis', 'nats']);
});
