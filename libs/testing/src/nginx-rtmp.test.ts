import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ffmpegPushRtmp, makeTestClip } from './media';
import { startNginxRtmp } from './nginx-rtmp';
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
