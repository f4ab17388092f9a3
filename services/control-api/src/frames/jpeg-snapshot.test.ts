import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { before, describe, it } from 'node:test';
import { JpegSnapshotter, SnapshotError } from './jpeg-snapshot';

/** SNAPSHOT_CONCURRENCY: how many ffmpeg decodes run at once; past it a request is refused (503), not queued. */
describe('JpegSnapshotter (real ffmpeg)', () => {
  let gop: Buffer;
  before(() => {
    // One GOP of H.264 (Annex B: SPS, PPS, IDR, then P frames), made now from a lavfi source.
    const made = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25',
      '-frames:v', '10', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-bf', '0', '-f', 'h264', 'pipe:1'], { timeout: 20_000, maxBuffer: 16 << 20 });
    assert.equal(made.status, 0, made.stderr?.toString());
    gop = made.stdout;
  });

  const isJpeg = (b: Buffer): boolean => b.length > 100 && b[0] === 0xff && b[1] === 0xd8 && b.at(-2) === 0xff && b.at(-1) === 0xd9;

  it('limit: with concurrency 1 a second decode while one runs is refused as busy; the slot is free again after it', async () => {
    const s = new JpegSnapshotter(20_000, 1);
    const first = s.toJpeg(gop, 'h264', 10);
    await assert.rejects(s.toJpeg(gop, 'h264', 10), (err: unknown) => err instanceof SnapshotError && err.busy && /1 snapshots already running/.test(err.message));
    assert.ok(isJpeg(await first));
    assert.ok(isJpeg(await s.toJpeg(gop, 'h264', 10)), 'the slot is released after a decode');
  });

  it('limit: with concurrency 2 two decodes run together and a third is refused', async () => {
    const s = new JpegSnapshotter(20_000, 2);
    const running = [s.toJpeg(gop, 'h264', 10), s.toJpeg(gop, 'h264', 1)];
    await assert.rejects(s.toJpeg(gop, 'h264'), (err: unknown) => err instanceof SnapshotError && err.busy);
    for (const jpeg of await Promise.all(running)) assert.ok(isJpeg(jpeg));
  });

  it('a failed decode is a clear error (not busy) and frees its slot', async () => {
    const s = new JpegSnapshotter(20_000, 1);
    await assert.rejects(s.toJpeg(Buffer.from('not h264 at all'), 'h264'), (err: unknown) => err instanceof SnapshotError && !err.busy && /could not decode/.test(err.message));
    assert.ok(isJpeg(await s.toJpeg(gop, 'h264', 10)));
  });
});
