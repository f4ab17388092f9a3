import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GstRtspServer, SYSTEM_PYTHON, killAll, spawnTracked, waitFor } from '@streamgate/testing';
import type { Gateway } from '../../services/all-in-one';
import { startTestGateway } from './gateway-harness';
import { startCamera } from './rtsp-pull-harness';

/**
 * Issue "The control API", against the real app with a real camera (GStreamer): the seed's
 * Python client works unchanged; frame and JPEG are valid; streams survive a restart.
 */
const SOURCE = join(__dirname, '..', '..', '..', 'test', 'e2e', 'python', 'seed_client.py');

async function ffprobeJson(file: string, extra: string[]): Promise<Record<string, unknown>> {
  const p = spawnTracked('ffprobe', ['-v', 'error', ...extra, '-of', 'json', file]);
  const st = await p.exited;
  assert.equal(st.code, 0, p.stderr());
  return JSON.parse(p.stdout()) as Record<string, unknown>;
}

describe('control API with a real camera', { timeout: 180_000 }, () => {
  let camera: GstRtspServer;
  let gw: Gateway;
  const dataDir = mkdtempSync(join(tmpdir(), 'sg-api-cam-'));
  const base = (): string => `http://127.0.0.1:${gw.httpPort}`;

  before(async () => {
    camera = await startCamera();
    gw = await startTestGateway({ DATA_DIR: dataDir });
  });

  after(async () => {
    await gw?.stop();
    await camera?.stop();
    await killAll();
  });

  test("the seed's Python client (requests: add, start, status, frame to file, stop) works unchanged", async () => {
    const frameFile = join(dataDir, 'frame.h264');
    const py = spawnTracked(SYSTEM_PYTHON, [SOURCE, base(), camera.url('cam'), frameFile]);
    const st = await py.exited;
    assert.equal(st.code, 0, `${py.stdout()}\n${py.stderr()}`);
    assert.match(py.stdout(), /added front_door/);
    assert.match(py.stdout(), /frame \d+ video\/h264/);
    const probe = await ffprobeJson(frameFile, ['-count_packets', '-show_streams', '-f', 'h264']);
    const [video] = probe.streams as { codec_name: string; nb_read_packets: string; width: number }[];
    assert.equal(video.codec_name, 'h264');
    assert.equal(video.nb_read_packets, '1', 'the latest frame parses as one access unit');
    assert.ok(video.width > 0, 'with its parameter sets');
  });

  test('add → start → status shows packets → frame (ffprobe) → jpeg of the right size → stop → delete', async () => {
    const post = (path: string, body?: unknown): Promise<Response> => fetch(`${base()}${path}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    assert.equal((await post('/api/streams', { name: 'yard', rtsp_url: camera.url('cam'), enabled: false, transport: 'tcp' })).status, 201);
    assert.equal((await post('/api/streams/yard/start')).status, 200);
    const status = await waitFor(async () => {
      const s = (await (await fetch(`${base()}/api/streams/yard`)).json()) as Record<string, unknown>;
      return s.playing === true && Number(s.packets_received) > 0 && typeof s.last_frame_time === 'number' ? s : undefined;
    }, 20_000, 'yard playing', 200);
    assert.equal(status.transport, 'tcp');
    assert.ok(Math.abs(Number(status.last_frame_time) - Date.now() / 1000) < 5, 'last_frame_time is Unix seconds');
    const tracks = status.tracks as { media: string; width?: number; height?: number; codec: string }[];
    const videoTrack = tracks.find((t) => t.media === 'video');
    assert.equal(videoTrack?.codec, 'H264');

    const frame = await fetch(`${base()}/api/streams/yard/frame`);
    assert.equal(frame.status, 200);
    assert.equal(frame.headers.get('content-type'), 'video/h264');
    const h264 = join(dataDir, 'yard.h264');
    (await import('node:fs')).writeFileSync(h264, Buffer.from(await frame.arrayBuffer()));
    // One access unit that decodes alone: ffprobe demuxes one packet and decodes one frame from it.
    const probe = await ffprobeJson(h264, ['-count_packets', '-count_frames', '-show_streams', '-f', 'h264']);
    assert.equal((probe.streams as { nb_read_packets: string }[])[0].nb_read_packets, '1');
    assert.equal((probe.streams as { nb_read_frames: string }[])[0].nb_read_frames, '1');
    // By default the latest keyframe (decodes alone), with its age; ?latest=true the raw latest unit.
    assert.equal(frame.headers.get('x-keyframe'), 'true');
    const age = Number(frame.headers.get('x-frame-age-ms'));
    assert.ok(Number.isFinite(age) && age >= 0 && age < 10_000, `keyframe age ${age} ms`);
    const raw = await fetch(`${base()}/api/streams/yard/frame?latest=true`);
    assert.equal(raw.status, 200);
    const rawAge = Number(raw.headers.get('x-frame-age-ms'));
    assert.ok(Number.isFinite(rawAge) && rawAge <= age + 1000, `latest unit age ${rawAge} ms, keyframe ${age} ms`);

    const jpeg = await fetch(`${base()}/api/streams/yard/frame?format=jpeg`);
    assert.equal(jpeg.status, 200);
    assert.equal(jpeg.headers.get('content-type'), 'image/jpeg');
    const bytes = Buffer.from(await jpeg.arrayBuffer());
    assert.deepEqual([...bytes.subarray(0, 3)], [0xff, 0xd8, 0xff], 'JPEG SOI marker');
    const jpgFile = join(dataDir, 'yard.jpg');
    (await import('node:fs')).writeFileSync(jpgFile, bytes);
    const img = await ffprobeJson(jpgFile, ['-show_streams']);
    const [pic] = img.streams as { codec_name: string; width: number; height: number }[];
    assert.equal(pic.codec_name, 'mjpeg');
    assert.deepEqual([pic.width, pic.height], [videoTrack?.width, videoTrack?.height]);
    // Viewers polling one stream at once share one decode: 8 together are all served, none
    // refused by SNAPSHOT_CONCURRENCY (2), which bounds decodes, not viewers.
    const together = await Promise.all(Array.from({ length: 8 }, () => fetch(`${base()}/api/streams/yard/frame?format=jpeg`)));
    assert.deepEqual(together.map((r) => r.status), Array(8).fill(200));
    for (const r of together) assert.deepEqual([...Buffer.from(await r.arrayBuffer()).subarray(0, 3)], [0xff, 0xd8, 0xff]);

    assert.equal((await post('/api/streams/yard/stop')).status, 200);
    await waitFor(async () => {
      const s = (await (await fetch(`${base()}/api/streams/yard`)).json()) as Record<string, unknown>;
      return s.playing === false ? true : undefined;
    }, 10_000, 'yard stopped', 200);
    assert.equal((await fetch(`${base()}/api/streams/yard`, { method: 'DELETE' })).status, 200);
    assert.equal((await fetch(`${base()}/api/streams/yard`)).status, 404);
  });

  test('restart the process: the streams are still there and resume', async () => {
    const post = (path: string, body?: unknown): Promise<Response> => fetch(`${base()}${path}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    assert.equal((await post('/api/streams', { name: 'porch', rtsp_url: camera.url('cam'), transport: 'tcp' })).status, 201);
    await gw.stop();
    gw = await startTestGateway({ DATA_DIR: dataDir });
    const list = (await (await fetch(`${base()}/api/streams`)).json()) as { streams: { name: string; enabled: boolean }[] };
    assert.deepEqual(list.streams.map((s) => s.name).sort(), ['front_door', 'porch']);
    assert.equal(list.streams.find((s) => s.name === 'front_door')?.enabled, false, 'stopped stays stopped');
    await waitFor(async () => {
      const s = (await (await fetch(`${base()}/api/streams/porch`)).json()) as Record<string, unknown>;
      return s.playing === true && Number(s.packets_received) > 0 ? true : undefined;
    }, 20_000, 'porch resumes after the restart', 200);
  });
});
