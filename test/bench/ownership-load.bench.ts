/**
 * Store load of ownership at scale (issue 13: "measure the Redis load at 1,000 streams"): two
 * ingest and two packetizer instances share N streams through OwnershipManager with the
 * production LEASE_TIMING (2 s leases renewed every 500 ms, 2 s heartbeats), against a real
 * redis-server of its own. Status writes (one SET per stream per second from ingest, packetizer
 * and egress) are simulated beside them. Reports Redis commands/s and Redis CPU (INFO), and
 * the CPU each instance spends on ownership.
 *
 *   npm run build && node dist/test/bench/ownership-load.bench.js [--streams 1000] [--window 10]
 */
import { parseArgs } from 'node:util';
import { LEASE_TIMING, OwnershipManager, RedisStateStore } from '@streamgate/platform';
import { startRedisServer } from '@streamgate/platform/testing';

const { values: args } = parseArgs({ options: { streams: { type: 'string', default: '1000' }, window: { type: 'string', default: '10' } } });
const N = Number(args.streams);
const WINDOW_S = Number(args.window);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function info(text: string, field: string): number {
  return Number(new RegExp(`^${field}:([\\d.]+)`, 'm').exec(text)?.[1] ?? NaN);
}

async function main(): Promise<void> {
  const redis = await startRedisServer();
  const streams = Array.from({ length: N }, (_x, i) => `s${i}`);
  const stores: RedisStateStore[] = [];
  const managers: OwnershipManager[] = [];
  for (const group of ['ingest', 'packetizer']) {
    for (const id of ['a', 'b']) {
      const store = new RedisStateStore({ url: redis.url });
      await store.ready();
      stores.push(store);
      managers.push(new OwnershipManager(store, {
        group, instanceId: `${group}-${id}`, resources: async () => streams, onAcquire: () => undefined, onRelease: () => undefined,
      }));
    }
  }
  for (const m of managers) await m.start();
  // Status: ingest, packetizer and egress each rewrite one key per stream every second.
  const statusStore = stores[0];
  const statusTimer = setInterval(() => {
    for (const s of streams) for (const svc of ['ingest', 'packetizer', 'rtsp-egress']) void statusStore.set(`status/${s}/${svc}`, '{"connected":true}', { ttlMs: 15_000 }).catch(() => undefined);
  }, 1000);
  await sleep(5000);
  const probe = new RedisStateStore({ url: redis.url });
  await probe.ready();
  const raw = (probe as unknown as { redis: { info(): Promise<string> } }).redis;
  const before = await raw.info();
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  await sleep(WINDOW_S * 1000);
  const after = await raw.info();
  const elapsed = (Date.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const commands = info(after, 'total_commands_processed') - info(before, 'total_commands_processed');
  const redisCpu = (info(after, 'used_cpu_user') + info(after, 'used_cpu_sys')) - (info(before, 'used_cpu_user') + info(before, 'used_cpu_sys'));
  const owned = managers.map((m) => m.owned().length);
  clearInterval(statusTimer);
  const report = {
    streams: N,
    lease: LEASE_TIMING,
    owned_per_instance: owned,
    redis_commands_per_s: Math.round(commands / elapsed),
    expected_ownership_commands_per_s: Math.round((2 * N * 1000) / LEASE_TIMING.renewMs + (4 * 2 * 1000) / LEASE_TIMING.renewMs),
    expected_status_commands_per_s: 3 * N,
    redis_cpu_pct: Math.round((redisCpu / elapsed) * 1000) / 10,
    bench_process_cpu_pct_4_instances_and_status: Math.round(((cpu.user + cpu.system) / 1e6 / elapsed) * 1000) / 10,
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  for (const m of managers) await m.stop();
  for (const s of [...stores, probe]) await s.close();
  await redis.stop();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
