import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ffmpegPushRtmp, makeTestClip } from './media';
import { startNginxRtmp, startNginxStatic } from './nginx-rtmp';
import { delay, killAll, spawnTracked, waitFor } from './processes';

after(() => killAll());

/** Codec names ffprobe sees at an RTMP URL, or undefined while nothing is published there. */
async function probeRtmp(url: string): Promise<string[] | undefined> {
  const p = spawnTracked('ffprobe', ['-v', 'error', '-rw_timeout', '3000000', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', url]);
  const status = await p.exited;
  return status.code === 0 ? p.stdout().trim().split('\n').sort() : undefined;
}

describe('ffmpegPushRtmp into nginx-rtmp', () => {
  it('pushes a clip with -c copy, and a live lavfi encode', async () => {
    const nginx = await startNginxRtmp();
    try {
      const clip = await makeTestClip({ seconds: 4, width: 320, height: 240 });
      const copy = ffmpegPushRtmp(nginx.url('clip'), { clip: clip.flv, loop: true });
      const live = ffmpegPushRtmp(nginx.url('live'), { live: { width: 320, height: 240, fps: 15 }, seconds: 20 });
      for (const key of ['clip', 'live']) {
        const codecs = await waitFor(() => probeRtmp(nginx.url(key)), 15_000, `${key} to be published`, 250);
        assert.deepEqual(codecs, ['aac', 'h264']);
      }
      await delay(100);
      assert.equal(copy.child.exitCode, null, copy.stderr());
      assert.equal(live.child.exitCode, null, live.stderr());
      await Promise.all([copy.kill(), live.kill()]);
    } finally {
      await nginx.stop();
    }
  });
});

describe('startNginxStatic', () => {
  it('serves a directory with HLS content types and cache headers, and its process is the one measured', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sg-nginx-root-'));
    writeFileSync(join(root, 'stream.m3u8'), '#EXTM3U\n');
    writeFileSync(join(root, 'a_seg1.mp4'), Buffer.alloc(1000, 7));
    const nginx = await startNginxStatic(root);
    try {
      const playlist = await fetch(`http://127.0.0.1:${nginx.port}/stream.m3u8`);
      assert.equal(playlist.status, 200);
      assert.equal(playlist.headers.get('content-type'), 'application/vnd.apple.mpegurl');
      assert.equal(playlist.headers.get('cache-control'), 'no-cache');
      assert.equal(await playlist.text(), '#EXTM3U\n');
      const segment = await fetch(`http://127.0.0.1:${nginx.port}/a_seg1.mp4`);
      assert.equal(segment.headers.get('content-type'), 'video/mp4');
      assert.equal((await segment.arrayBuffer()).byteLength, 1000);
      assert.equal((await fetch(`http://127.0.0.1:${nginx.port}/missing.mp4`)).status, 404);
      assert.ok(existsSync(`/proc/${nginx.process.child.pid}/stat`));
    } finally {
      await nginx.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
