import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GstRtspServer, ffmpegPushRtmp, ffprobeRtsp, killAll, startGstRtspServer, withTimeout } from '@streamgate/testing';
import type { Gateway } from '../../services/all-in-one';
import { renderClip, startTestGateway, waitForStream } from './gateway-harness';

/**
 * Issue #12, named attacks that worked before (open gateway, no users configured):
 * "path hijack": an anonymous RTMP push to a camera's name took over its readers, and after the
 * push ended the camera's path answered 404 while the API said connected.
 */
describe('regression: path hijack (a source name belongs to its kind)', { timeout: 120_000 }, () => {
  let gw: Gateway;
  let camera: GstRtspServer;
  let clip: string;

  before(async () => {
    camera = await startGstRtspServer({ mounts: ['cam'], width: 320, height: 240, fps: 25, gop: 25 });
    gw = await startTestGateway();
    clip = await renderClip({ seconds: 3, width: 640, height: 360, fps: 25, gop: 25, bframes: 0, audio: false });
    const res = await fetch(`http://127.0.0.1:${gw.httpPort}/api/streams`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'cam1', rtsp_url: camera.url('cam') }),
    });
    assert.equal(res.status, 201, await res.text());
    await waitForStream(gw.rtspPort, 'cam1', 20_000);
  });
  after(async () => {
    await killAll();
    await gw?.stop();
    await camera?.stop();
  });

  const size = async (): Promise<string> => {
    const p = await ffprobeRtsp(`rtsp://127.0.0.1:${gw.rtspPort}/cam1`, { transport: 'tcp' });
    const v = p.streams.find((s) => s.codec_type === 'video');
    return `${v?.width}x${v?.height}`;
  };

  test('an RTMP push to a camera name is refused and readers keep getting the camera', async () => {
    assert.equal(await size(), '320x240');
    const push = ffmpegPushRtmp(`rtmp://127.0.0.1:${gw.rtmpPort}/live/cam1`, { clip });
    const exit = await withTimeout(push.exited, 20_000, 'hijacking push');
    assert.notEqual(exit.code, 0, 'the push was refused');
    assert.match(push.stderr(), /camera's name/);
    assert.equal(await size(), '320x240', 'still the camera, not the pusher (640x360)');
    const status = (await (await fetch(`http://127.0.0.1:${gw.httpPort}/api/streams/cam1`)).json()) as { connected: boolean; playing: boolean };
    assert.equal(status.connected, true);
  });

  test('a camera cannot be added under a live or registered RTMP key (409)', async () => {
    const push = ffmpegPushRtmp(`rtmp://127.0.0.1:${gw.rtmpPort}/live/drone1`, { clip, loop: true });
    await waitForStream(gw.rtspPort, 'drone1');
    const taken = await fetch(`http://127.0.0.1:${gw.httpPort}/api/streams`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'drone1', rtsp_url: camera.url('cam') }),
    });
    assert.equal(taken.status, 409);
    assert.match(await taken.text(), /RTMP stream key/);
    await push.kill();
    await fetch(`http://127.0.0.1:${gw.httpPort}/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ stream_key: 'drone2' }) });
    const registered = await fetch(`http://127.0.0.1:${gw.httpPort}/api/streams`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'drone2', rtsp_url: camera.url('cam') }),
    });
    assert.equal(registered.status, 409);
  });
});

describe('SOURCE_NAMES_SHARED=true keeps the old sharing for those who want it', { timeout: 60_000 }, () => {
  let gw: Gateway;
  before(async () => {
    gw = await startTestGateway({ SOURCE_NAMES_SHARED: true });
  });
  after(async () => {
    await killAll();
    await gw?.stop();
  });

  test('a camera entry does not stop a push under its name', async () => {
    const added = await fetch(`http://127.0.0.1:${gw.httpPort}/api/streams`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'shared1', rtsp_url: 'rtsp://127.0.0.1:9/x', enabled: false }),
    });
    assert.equal(added.status, 201, await added.text());
    const clip = await renderClip({ seconds: 2, width: 320, height: 240, fps: 25, gop: 25, bframes: 0, audio: false });
    const push = ffmpegPushRtmp(`rtmp://127.0.0.1:${gw.rtmpPort}/live/shared1`, { clip });
    assert.equal((await withTimeout(push.exited, 20_000, 'push')).code, 0, push.stderr());
  });
});
