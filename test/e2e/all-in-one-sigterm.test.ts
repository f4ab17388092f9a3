import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RtspReader, killAll, spawnTracked, waitFor } from '@streamgate/testing';
import { RawRtspClient } from '@streamgate/rtsp-egress/testing';
import { waitForStream } from './gateway-harness';

/**
 * `npm start` / the all-in-one image stopped by SIGTERM (docker stop, systemd, a pod without
 * separate services) drains like rtsp-egress run alone: new readers refused, every reader told
 * with an RTCP BYE, the process gone within SHUTDOWN_DRAIN_MS.
 */
const DRAIN_MS = 4000;

const data = mkdtempSync(join(tmpdir(), 'sg-sigterm-'));
after(async () => {
  await killAll();
  rmSync(data, { recursive: true, force: true });
});

test('all-in-one SIGTERM: readers get their BYE, new readers are refused, exit 0 within the drain period', { timeout: 90_000 }, async () => {
  const gw = spawnTracked('node', [join(__dirname, '..', '..', 'services', 'all-in-one.js')], {
    env: {
      ...process.env, HOST: '127.0.0.1', PORT: '0', RTSP_PORT: '0', RTMP_PORT: '0', METRICS_PORT: '0', RTSP_UDP_RTP_PORT: '0', HLS_PORT: '0',
      DATA_DIR: data, LOG_LEVEL: 'warn', SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
    },
  });
  const block = await waitFor(() => {
    if (gw.child.exitCode !== null) throw new Error(`gateway exited ${gw.child.exitCode}: ${gw.stderr()}`);
    return / {2}metrics +http:\/\/\S+\/metrics\n/.test(gw.stdout()) ? gw.stdout() : undefined;
  }, 30_000, 'the ready block');
  const rtmpPort = Number(/rtmp:\/\/127\.0\.0\.1:(\d+)\//.exec(block)?.[1]);
  const rtspPort = Number(/rtsp:\/\/127\.0\.0\.1:(\d+)\//.exec(block)?.[1]);
  spawnTracked('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=f=440:r=48000',
    '-t', '60', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-c:a', 'aac', '-f', 'flv', `rtmp://127.0.0.1:${rtmpPort}/live/sigterm`]);
  const url = `rtsp://127.0.0.1:${rtspPort}/sigterm`;
  await waitForStream(rtspPort, 'sigterm', 20_000);
  const ffmpeg = spawnTracked('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-rtsp_transport', 'tcp', '-i', url, '-f', 'null', '-']);
  const reader = await RtspReader.open(url, { transport: 'tcp', timeoutMs: 10_000 });
  await waitFor(() => (reader.stats().tracks.every((t) => t.packets > 10) ? true : undefined), 10_000, 'the reader gets media');
  assert.equal(ffmpeg.child.exitCode, null, `ffmpeg reads: ${ffmpeg.stderr()}`);
  const rtcpBefore = reader.stats().tracks.reduce((n, t) => n + t.rtcpPackets, 0);
  // A control connection with no session: a drain lets it finish what it is doing.
  const control = await RawRtspClient.connect(rtspPort);
  assert.equal((await control.request('OPTIONS', url)).statusCode, 200);

  const t0 = Date.now();
  gw.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  await assert.rejects(RtspReader.open(url, { transport: 'tcp', timeoutMs: 1000 }), 'no new reader while draining');
  assert.equal((await control.request('OPTIONS', url)).statusCode, 200, 'an open connection is still answered while draining');
  const exit = await gw.exited;
  const exitMs = Date.now() - t0;
  process.stdout.write(`# all-in-one SIGTERM: exit ${exit.code} after ${exitMs} ms\n`);
  assert.equal(exit.code, 0, gw.stderr().slice(-1000));
  // The open control connection never leaves: the drain waits for it until its deadline.
  assert.ok(exitMs >= DRAIN_MS - 200 && exitMs < DRAIN_MS + 3000, `exited after ${exitMs} ms`);
  control.close();
  const ff = await Promise.race([ffmpeg.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 3000))]);
  assert.ok(ff, 'ffmpeg noticed the end of the stream');
  assert.ok(reader.stats().tracks.reduce((n, t) => n + t.rtcpPackets, 0) > rtcpBefore, 'an RTCP BYE reached the reader');
  assert.equal(reader.stats().closedByServer, true, 'connection closed by the server');
});
