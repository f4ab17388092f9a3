import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { killAll, spawnTracked, withTimeout } from '@streamgate/testing';
import type { Gateway } from '../../services/all-in-one';
import { decodeWithFfmpeg, pushClip, renderClip, startTestGateway, waitForStream } from '../e2e/gateway-harness';
import { RealPrometheus, startPrometheus } from './prometheus-harness';

/**
 * Issue "Observe and deploy": a real Prometheus scrapes the running all-in-one; the pushed
 * stream's bitrate and readers come back as expected, and every metric the dashboards use is
 * in the scrape.
 */
describe('Prometheus scrapes the all-in-one', { timeout: 120_000 }, () => {
  let gw: Gateway;
  let prom: RealPrometheus;

  before(async () => {
    gw = await startTestGateway();
    prom = await startPrometheus([{ job: 'streamgate', port: gw.metricsPort }]);
  });

  after(async () => {
    await killAll();
    await prom?.stop();
    await gw?.stop();
  });

  test('bitrate, fps and readers of a pushed stream; latency histogram; API durations', async () => {
    const clip = await renderClip({ seconds: 20, width: 640, height: 360, fps: 25, gop: 50 });
    const probe = spawnTracked('ffprobe', ['-v', 'error', '-show_entries', 'format=bit_rate', '-of', 'csv=p=0', clip]);
    await withTimeout(probe.exited, 20_000, `ffprobe ${clip}`);
    const clipBitrate = Number(probe.stdout().trim());
    assert.ok(clipBitrate > 0, `ffprobe gave no bitrate for the clip: ${probe.stderr()}`);
    const push = pushClip(clip, gw.rtmpPort, 'prom1');
    await waitForStream(gw.rtspPort, 'prom1');
    const url = `rtsp://127.0.0.1:${gw.rtspPort}/prom1`;
    const readers = [decodeWithFfmpeg(url, 'tcp', 14), decodeWithFfmpeg(url, 'udp', 14)];
    await fetch(`http://127.0.0.1:${gw.httpPort}/api/streams`);

    const readerCount = await prom.waitFor('sum(streamgate_stream_readers{stream="prom1"})', (v) => v[0] === 2, 15_000);
    assert.deepEqual(readerCount, [2]);
    const byTransport = await prom.query('streamgate_stream_readers{stream="prom1"}');
    assert.deepEqual(Object.fromEntries(byTransport.map((r) => [r.metric.transport, Number(r.value[1])])), { tcp: 1, udp: 1 });
    const [bitrate] = await prom.waitFor('streamgate_stream_bitrate_bits_per_second{stream="prom1"}', (v) => v.length === 1 && v[0] > 0, 15_000);
    assert.ok(Math.abs(bitrate - clipBitrate) / clipBitrate < 0.5, `bitrate ${bitrate} vs clip ${clipBitrate}`);
    const [fps] = await prom.waitFor('streamgate_stream_fps{stream="prom1"}', (v) => v.length === 1 && v[0] > 20, 10_000);
    assert.ok(fps <= 30, `fps ${fps}`);
    const [p99] = await prom.waitFor('histogram_quantile(0.99, sum by (le) (rate(streamgate_stream_latency_seconds_bucket{stream="prom1"}[10s])))',
      (v) => v.length === 1 && Number.isFinite(v[0]), 15_000);
    assert.ok(p99 < 0.1, `p99 latency ${p99}s`);
    const api = await prom.waitFor('sum(streamgate_api_request_duration_seconds_count{route="/api/streams",method="GET"})', (v) => v[0] >= 1, 10_000);
    assert.ok(api[0] >= 1);
    for (const r of await Promise.all(readers)) assert.equal(r.code, 0, r.stderr);
    await push.kill();
  });

  test('every metric the Grafana dashboards use is exposed by the running gateway', async () => {
    const text = await (await fetch(`http://127.0.0.1:${gw.metricsPort}/metrics`)).text();
    const exposed = new Set(text.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]));
    const dir = join(__dirname, '..', '..', '..', 'deploy', 'grafana', 'dashboards');
    const used = new Set<string>();
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      for (const m of readFileSync(join(dir, file), 'utf8').matchAll(/streamgate_[a-z0-9_]+/g)) used.add(m[0]);
    }
    assert.ok(used.size > 5, 'dashboards reference metrics');
    const missing = [...used].filter((name) => !exposed.has(name) && !exposed.has(name.replace(/_(bucket|sum|count)$/, '')));
    assert.deepEqual(missing, []);
  });
});
