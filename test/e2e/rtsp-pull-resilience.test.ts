import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressInfo, Server, createServer } from 'node:net';
import { GstRtspServer, TrackedProcess, delay, killAll } from '@streamgate/testing';
import { decodeWithFfmpeg, waitForStream } from './gateway-harness';
import {
  PullGateway, cameraConnections, freeTcpPort, startCamera, startCameraOnPort, startPullGateway,
} from './rtsp-pull-harness';

/**
 * Issue "Pull RTSP cameras": staying up. Camera restarts, cameras refusing UDP, short session
 * timeouts held by keepalives, wrong passwords, and peers that are not cameras at all. The
 * scenarios run concurrently against one gateway (each also proves the others unaffected).
 */
const playing = (s: Record<string, unknown>): boolean => s.connected === true && s.playing === true && Number(s.packets_received) > 0;
const SECRET = 'Wr0ng-but-S3cret-pw';

describe('RTSP pull resilience (all-in-one, GStreamer cameras)', { timeout: 300_000 }, () => {
  let pg: PullGateway;
  const cameras: GstRtspServer[] = [];
  const processes: TrackedProcess[] = [];
  const servers: Server[] = [];

  before(async () => {
    pg = await startPullGateway();
  });

  after(async () => {
    await pg?.gw.stop();
    await Promise.all(cameras.map((c) => c.stop()));
    for (const s of servers) s.close();
    await killAll();
  });

  describe('scenarios', { concurrency: true }, () => {
    test('camera killed and restarted on the same port: readers get the stop, the gateway reconnects by itself, new readers play', async (t) => {
      const port = await freeTcpPort();
      let cam = await startCameraOnPort(port, 'cam');
      processes.push(cam);
      await pg.addCamera({ name: 'restart', rtsp_url: `rtsp://127.0.0.1:${port}/cam`, transport: 'tcp' });
      await pg.waitStatus('restart', 'playing', playing);
      await waitForStream(pg.gw.rtspPort, 'restart');
      const url = `rtsp://127.0.0.1:${pg.gw.rtspPort}/restart`;
      const before = decodeWithFfmpeg(url, 'tcp', 60);
      await delay(2000);
      const killedAt = Date.now();
      await cam.kill();
      const early = await before;
      const readerEndedMs = Date.now() - killedAt;
      assert.ok(early.video > 0, 'the reader decoded before the kill');
      assert.ok(readerEndedMs < 10_000, `the reader ended ${readerEndedMs} ms after the kill (source-stopped → BYE)`);
      const down = await pg.waitStatus('restart', 'disconnected', (s) => s.connected === false, 10_000);
      assert.equal(down.playing, false);
      await delay(1500);
      const restartedAt = Date.now();
      cam = await startCameraOnPort(port, 'cam');
      processes.push(cam);
      const back = await pg.waitStatus('restart', 'playing again', playing, 40_000);
      const gapMs = Date.now() - restartedAt;
      assert.ok(Number(back.reconnects) >= 1, JSON.stringify(back));
      assert.equal(typeof back.last_error, 'string');
      await waitForStream(pg.gw.rtspPort, 'restart');
      const again = await decodeWithFfmpeg(url, 'tcp', 3);
      assert.equal(again.code, 0, again.stderr);
      assert.ok(again.video >= 50, `a new reader decoded ${again.video} frames`);
      t.diagnostic(`reader ended ${readerEndedMs} ms after the kill; playing again ${gapMs} ms after the restart; last_error: ${String(back.last_error)}`);
    });

    test('a camera that refuses UDP: auto falls back to TCP', async () => {
      const cam = await startCamera({ protocols: 'tcp' });
      cameras.push(cam);
      await pg.addCamera({ name: 'tcp_only', rtsp_url: cam.url('cam') });
      const s = await pg.waitStatus('tcp_only', 'playing', playing);
      assert.equal(s.transport, 'tcp');
      assert.equal(s.reconnects, 0);
    });

    test('a 5 s session timeout: keepalives hold the pull for over two minutes (packets grow, no reconnect, one camera session)', async () => {
      // A live encoder, not the 120 s clip: the pull must outlast any file.
      const cam = await startCamera({ sessionTimeoutSec: 5, file: undefined, width: 320, height: 240, bitrateKbps: 300 });
      cameras.push(cam);
      await pg.addCamera({ name: 'short_timeout', rtsp_url: cam.url('cam'), transport: 'udp' });
      let last = Number((await pg.waitStatus('short_timeout', 'playing', playing)).packets_received);
      for (let t = 0; t < 125; t += 10) {
        await delay(10_000);
        const s = await pg.status('short_timeout');
        assert.ok(playing(s), JSON.stringify(s));
        assert.ok(Number(s.packets_received) > last, `packets stalled at ${last}`);
        assert.equal(s.reconnects, 0, JSON.stringify(s));
        last = Number(s.packets_received);
      }
      assert.deepEqual(cam.sessions().cam, { sessions: 1, playing: 1 });
    });

    test('wrong password: last_error names the 401 and the camera sees few attempts (no tight loop)', async () => {
      const cam = await startCamera({ auth: { method: 'digest', user: 'admin', password: 'right-password' } });
      cameras.push(cam);
      await pg.addCamera({ name: 'wrong_pw', rtsp_url: cam.url('cam'), username: 'admin', password: SECRET });
      const firstAt = Date.now();
      const s = await pg.waitStatus('wrong_pw', 'a 401 error', (x) => /401/.test(String(x.last_error)));
      assert.match(String(s.last_error), /401 Unauthorized: check username\/password/);
      await delay(Math.max(0, 10_000 - (Date.now() - firstAt)));
      const attempts = cameraConnections(cam.process);
      assert.ok(attempts >= 2 && attempts <= 5, `${attempts} connections in 10 s`);
      assert.equal((await pg.status('wrong_pw')).playing, false);
    });

    test('unreachable port, unknown host, HTTP and garbage servers: clear errors, no crash, a good camera unaffected', async () => {
      const good = await startCamera({});
      cameras.push(good);
      await pg.addCamera({ name: 'good', rtsp_url: good.url('cam') });
      const closedPort = await freeTcpPort();
      const http = createServer((s) => s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')));
      const garbage = createServer((s) => s.once('data', () => s.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0xff, 0xee]))));
      for (const srv of [http, garbage]) {
        servers.push(srv);
        await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      }
      const port = (srv: Server): number => (srv.address() as AddressInfo).port;
      // [name, URL, expected last_error]
      const bad: Array<[string, string, RegExp]> = [
        ['bad_port', `rtsp://127.0.0.1:${closedPort}/cam`, /cannot connect to 127\.0\.0\.1:\d+: ECONNREFUSED/],
        ['bad_host', 'rtsp://camera.invalid:554/cam', /cannot connect to camera\.invalid|connecting to camera\.invalid/],
        ['http_server', `rtsp://127.0.0.1:${port(http)}/cam`, /not an RTSP server: it answered HTTP\/1\.1 400/],
        ['garbage_server', `rtsp://127.0.0.1:${port(garbage)}/cam`, /not an RTSP server or malformed answer/],
      ];
      for (const [name, url] of bad) await pg.addCamera({ name, rtsp_url: url, username: 'admin', password: SECRET });
      const start = Number((await pg.waitStatus('good', 'playing', playing)).packets_received);
      for (const [name, , expected] of bad) {
        const s = await pg.waitStatus(name, 'an error', (x) => typeof x.last_error === 'string', 20_000);
        assert.match(String(s.last_error), expected, name);
        assert.equal(s.connected, false);
      }
      await pg.waitStatus('good', 'still flowing', (x) => playing(x) && Number(x.packets_received) > start + 100, 10_000);
      assert.equal((await pg.api('GET', '/api/health')).status, 200);
    });
  });

  describe('secrets', () => {
    test('no password in any API response, status entry or log line', async () => {
      const list = await pg.api('GET', '/api/streams');
      const names = ((list.json.streams ?? []) as Array<{ name: string }>).map((s) => s.name);
      for (const name of names) await pg.api('GET', `/api/streams/${name}`);
      const status = (await pg.gw.ctx.store.list('status/')).map((e) => e.value);
      assert.ok(pg.logs.some((l) => l.includes('401 Unauthorized')), 'the 401 was logged');
      for (const [where, texts] of [['API', pg.responses], ['status', status], ['logs', pg.logs]] as const) {
        const hit = texts.find((t) => t.includes(SECRET) || t.includes('right-password'));
        assert.equal(hit, undefined, `${where} leaks a password: ${hit?.slice(0, 300)}`);
      }
    });
  });
});
