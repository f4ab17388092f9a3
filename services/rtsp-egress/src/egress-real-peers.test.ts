import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { gstLaunchErrors } from '@streamgate/testing';
import { runTool, useEgressWithFakeStream } from '@streamgate/rtsp-egress/testing';
import { startRtspEgress } from './index';

/** ffprobe/ffmpeg (libavformat) and GStreamer rtspsrc against the egress, fed by real RTP. */
describe('rtsp-egress with real peers', () => {
  const suite = useEgressWithFakeStream(startRtspEgress);

  for (const transport of ['tcp', 'udp']) {
    it(`ffprobe over ${transport} sees the H.264 stream`, async () => {
      const r = await runTool('ffprobe', ['-v', 'error', '-rtsp_transport', transport, '-show_entries', 'stream=codec_name,width,height',
        '-of', 'json', suite.env.url('cam1')], 15_000);
      assert.equal(r.code, 0, r.stderr);
      const info = JSON.parse(r.stdout) as { streams: Array<{ codec_name: string; width: number; height: number }> };
      assert.deepEqual(info.streams[0], { codec_name: 'h264', width: 320, height: 240 });
    });
  }

  it('ffmpeg over tcp decodes 2 s of frames without errors', async () => {
    const r = await runTool('ffmpeg', ['-hide_banner', '-v', 'error', '-stats', '-rtsp_transport', 'tcp', '-i', suite.env.url('cam1'), '-t', '2', '-f', 'null', '-'], 20_000);
    assert.equal(r.code, 0, r.stderr);
    const frames = [...r.stderr.matchAll(/frame=\s*(\d+)/g)].map((m) => Number(m[1]));
    assert.ok(frames.length > 0 && frames[frames.length - 1] >= 40, r.stderr);
    assert.doesNotMatch(r.stderr, /error while decoding|non-existing PPS|no frame!/i);
  });

  for (const protocol of ['tcp', 'udp']) {
    it(`gst-launch rtspsrc protocols=${protocol} reaches PLAYING and decodes`, async () => {
      const r = await runTool('gst-launch-1.0', ['-e', 'rtspsrc', `location=${suite.env.url('cam1')}`, `protocols=${protocol}`, '!', 'rtph264depay', '!',
        'avdec_h264', '!', 'fakesink', 'num-buffers=25'], 20_000);
      assert.match(r.stdout, /Setting pipeline to PLAYING/, r.stdout + r.stderr);
      assert.match(r.stdout, /Got EOS|Execution ended/, r.stdout + r.stderr);
      assert.deepEqual(gstLaunchErrors(r.stdout, r.stderr), [], r.stderr);
    });
  }

  it('writes reader status while a reader plays', async () => {
    const status = await suite.env.store.get('status/cam1/rtsp-egress');
    assert.ok(status, 'a status was written');
    const parsed = JSON.parse(status) as Record<string, number>;
    assert.deepEqual(Object.keys(parsed).sort(), ['bytes_sent', 'dropped_readers', 'readers', 'readers_tcp', 'readers_udp']);
    assert.ok(parsed.bytes_sent > 0);
  });
});
