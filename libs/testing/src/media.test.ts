import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { countFramecrc, ffmpegDecodeRtsp, makeTestClip } from './media';
import { startGstRtspServer } from './gst-rtsp-server';
import { killAll, spawnTracked } from './processes';

after(() => killAll());

async function probeFile(path: string): Promise<string[]> {
  const p = spawnTracked('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,profile,has_b_frames', '-of', 'csv=p=0', path]);
  await p.exited;
  return p.stdout().trim().split('\n').sort();
}

describe('media helpers', () => {
  it('makeTestClip renders H.264 High with B-frames + AAC as MP4 and FLV, once per parameter set', async () => {
    const params = { seconds: 2, width: 320, height: 240, fps: 25, bframes: 2 };
    const clip = await makeTestClip(params);
    assert.equal(await makeTestClip(params), clip);
    for (const file of [clip.mp4, clip.flv]) {
      const streams = await probeFile(file);
      assert.equal(streams.length, 2, streams.join(' | '));
      assert.match(streams[0], /^aac,LC/);
      assert.match(streams[1], /^h264,High,2/);
    }
  });

  it('ffmpegDecodeRtsp counts decoded video and audio frames from a GStreamer camera', async () => {
    const server = await startGstRtspServer({ fps: 25 });
    try {
      // A camera does not start a new reader on a keyframe, so the first frames may not decode.
      const result = await ffmpegDecodeRtsp(server.url(), { transport: 'tcp', seconds: 2, xerror: false });
      assert.equal(result.exitCode, 0, result.stderr);
      assert.ok(result.frames.video >= 40, `video frames ${result.frames.video}`);
      assert.ok(result.frames.audio >= 40, `audio frames ${result.frames.audio}`);
    } finally {
      await server.stop();
    }
  });

  it('countFramecrc maps stream indexes through the #media_type header', () => {
    const text = ['#tb 0: 1/48000', '#media_type 0: audio', '#media_type 1: video', '0, 0, 0, 1024, 4096, 0x1',
      '1, 0, 0, 1, 100, 0x2', '1, 1, 1, 1, 100, 0x3'].join('\n');
    assert.deepEqual(countFramecrc(text), { video: 2, audio: 1 });
  });
});
