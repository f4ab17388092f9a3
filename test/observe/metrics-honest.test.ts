import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GstRtspServer, declaredButUnset, doubledPrefixes, freeTcpPort, killAll, waitFor } from '@streamgate/testing';
import { decodeWithFfmpeg, pushClip, renderClip, waitForStream } from '../e2e/gateway-harness';
import { PullGateway, startCamera, startPullGateway } from '../e2e/rtsp-pull-harness';

/**
 * Issue "Operate it for real", item 5: a running gateway with a pulled camera, an RTMP push,
 * a disabled camera and TCP and UDP readers exposes a sample for every metric it declares
 * (declared-but-never-set is what left the "streams by state" panel empty), no name with a
 * prefix applied twice, and logs each line with one `service` field, readers and publishers
 * coming and going at info with their address and without credentials.
 */
const CAMERA_PASSWORD = 'pw-honest-S3cret';
/**
 * Anyone may read, publish and use the API; /metrics needs the `prom` user. The scrape without
 * it is refused (and counted: streamgate_auth_failures_total is set by a real refusal).
 */
const PROM = { user: 'prom', pass: 'prom-S3cret-pw' };
const AUTH_USERS = JSON.stringify([
  { user: 'any', pass: '', permissions: [{ action: 'read' }, { action: 'publish' }, { action: 'api' }] },
  { ...PROM, permissions: [{ action: 'metrics' }] },
]);

/**
 * prom-client's own default metric labelled by libuv request type: it has a sample only while
 * a request (fs, dns) is pending, so an idle scrape rightly shows none. Ours have no such pass.
 */
const EMPTY_WHEN_IDLE = ['streamgate_nodejs_active_requests'];
const unset = (text: string): string[] => declaredButUnset(text).filter((m) => !EMPTY_WHEN_IDLE.includes(m));

describe('honest metrics and logs of a running gateway', { timeout: 120_000 }, () => {
  let pg: PullGateway;
  let cam: GstRtspServer;

  before(async () => {
    pg = await startPullGateway({ LOG_LEVEL: 'info', AUTH_USERS });
    cam = await startCamera({ auth: { method: 'digest', user: 'viewer', password: CAMERA_PASSWORD } });
  });

  after(async () => {
    await pg?.gw.stop();
    await cam?.stop();
    await killAll();
  });

  test('every declared metric has a sample, no doubled prefix, streams counted by state', async () => {
    await pg.addCamera({ name: 'honest_cam', rtsp_url: cam.url('cam'), username: 'viewer', password: CAMERA_PASSWORD });
    await pg.addCamera({ name: 'honest_off', rtsp_url: `rtsp://127.0.0.1:${await freeTcpPort()}/x`, enabled: false });
    const push = pushClip(await renderClip({ seconds: 20, width: 320, height: 240 }), pg.gw.rtmpPort, 'honest_push');
    await waitForStream(pg.gw.rtspPort, 'honest_push');
    await pg.waitStatus('honest_cam', 'playing', (s) => s.playing === true);
    await waitForStream(pg.gw.rtspPort, 'honest_cam');
    const readers = [
      decodeWithFfmpeg(`rtsp://127.0.0.1:${pg.gw.rtspPort}/honest_push`, 'tcp', 4),
      decodeWithFfmpeg(`rtsp://127.0.0.1:${pg.gw.rtspPort}/honest_cam`, 'udp', 4),
    ];
    await pg.api('GET', '/api/streams');
    // An HLS reader too (hls-egress's series exist once a stream is muxed and requested).
    const hls = `http://127.0.0.1:${pg.gw.hlsPort}/honest_push`;
    assert.equal((await fetch(`${hls}/index.m3u8`)).status, 200);
    const playlist = await waitFor(async () => {
      const res = await fetch(`${hls}/stream.m3u8`);
      const text = res.ok ? await res.text() : '';
      return text.split('\n').some((l) => l.trim() && !l.startsWith('#')) ? text : undefined;
    }, 20_000, 'an HLS media playlist with a segment', 250);
    const segment = playlist.split('\n').find((l) => l.trim() && !l.startsWith('#'));
    assert.equal((await fetch(`${hls}/${segment?.trim()}`)).status, 200);
    const metricsUrl = `http://127.0.0.1:${pg.gw.metricsPort}/metrics`;
    assert.equal((await fetch(metricsUrl)).status, 401, 'metrics need the prom user');
    const authorization = `Basic ${Buffer.from(`${PROM.user}:${PROM.pass}`).toString('base64')}`;
    const scrape = async (): Promise<string> => (await fetch(metricsUrl, { headers: { authorization } })).text();
    // Rates and the stream gauge are refreshed every second or two: wait for them, not for luck.
    let text = '';
    await waitFor(async () => {
      text = await scrape();
      return unset(text).length === 0 && /streamgate_streams\{state="up"[^}]*\} 2\b/.test(text) ? true : undefined;
    }, 15_000, 'every declared metric set and 2 streams up', 500).catch(() => undefined);
    assert.deepEqual(unset(text), [], 'declared metrics without a sample');
    assert.deepEqual(doubledPrefixes(text), [], 'metric names with a doubled prefix');
    assert.match(text, /^streamgate_process_cpu_seconds_total\{/m);
    const streams = Object.fromEntries([...text.matchAll(/^streamgate_streams\{state="(\w+)"[^}]*\} (\d+)/gm)].map((m) => [m[1], Number(m[2])]));
    assert.deepEqual(streams, { up: 2, down: 0, disabled: 1 });
    assert.match(text, /^streamgate_bus_messages_total\{kind="media_out"[^}]*\} [1-9]/m, 'media published on the bus is counted');
    assert.match(text, /^streamgate_auth_failures_total\{[^}]*action="metrics"[^}]*\} 1$/m, 'the refused scrape is counted');
    assert.ok(!text.includes(CAMERA_PASSWORD) && !text.includes(PROM.pass), 'no password in metrics');
    for (const r of await Promise.all(readers)) assert.equal(r.code, 0, r.stderr);
    await push.kill();
  });

  test('one service field per JSON line; readers and publishers logged at info with their address, no credentials', async () => {
    await waitFor(() => (pg.logs.some((l) => l.includes('RTSP reader left')) ? true : undefined), 10_000, 'reader-left lines');
    const lines = pg.logs.map((l) => l.trim()).filter(Boolean);
    assert.ok(lines.length >= 5, `${lines.length} log lines: ${lines.join('\n')}`);
    for (const line of lines) {
      assert.equal(line.match(/"service":/g)?.length, 1, `one service field: ${line.slice(0, 200)}`);
      const entry = JSON.parse(line) as { service: string };
      assert.ok(['packetizer', 'rtsp-egress', 'hls-egress', 'ingest', 'control-api', 'streamgate'].includes(entry.service), entry.service);
    }
    const entries = lines.map((l) => JSON.parse(l) as { level: number; msg: string; stream?: string; remote?: string; transport?: string; service: string; session?: string });
    const INFO = 30;
    const find = (msg: string, stream: string) => entries.filter((e) => e.msg === msg && e.stream === stream);
    for (const [stream, transport] of [['honest_push', 'tcp'], ['honest_cam', 'udp']] as const) {
      for (const msg of ['RTSP reader started', 'RTSP reader left']) {
        const [e] = find(msg, stream);
        assert.ok(e, `${msg} for ${stream}`);
        assert.equal(e.level, INFO);
        assert.equal(e.service, 'rtsp-egress');
        assert.equal(e.transport, transport);
        assert.equal(e.remote, '127.0.0.1');
      }
    }
    // The publisher's connection: from the publish to the close of the same RTMP session (a
    // clean unpublish before the close leaves the close line without a stream name).
    const [published] = find('rtmp publish started', 'honest_push') as Array<{ level: number; service: string; remote?: string; session?: string }>;
    assert.ok(published, 'rtmp publish started');
    const closed = await waitFor(() => pg.logs.map((l) => JSON.parse(l) as typeof published & { msg: string })
      .find((e) => e.msg === 'rtmp session closed' && e.session === published.session), 10_000, 'publisher disconnect line');
    for (const e of [published, closed]) {
      assert.equal(e.level, INFO);
      assert.equal(e.service, 'ingest');
      assert.match(e.remote ?? '', /^127\.0\.0\.1:\d+$/);
    }
    assert.ok(!pg.logs.join('\n').includes(CAMERA_PASSWORD) && !pg.logs.join('\n').includes(PROM.pass), 'no password in logs');
  });
});
