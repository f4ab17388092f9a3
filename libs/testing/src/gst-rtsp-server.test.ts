import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ffprobeRtsp } from './media';
import { gstPlayRtsp } from './gst-play';
import { startGstRtspServer, GstRtspServer } from './gst-rtsp-server';
import { killAll } from './processes';

after(() => killAll());

function codecs(streams: { codec_type?: string; codec_name?: string }[]): string[] {
  return streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort();
}

describe('GStreamer RTSP server helper', () => {
  let server: GstRtspServer | undefined;
  after(() => server?.stop());

  it('serves H.264 + AAC on two mounts, over TCP and UDP, and reports sessions per mount', async () => {
    server = await startGstRtspServer({ mounts: ['cam1', 'cam2'] });
    const tcp = await ffprobeRtsp(server.url('cam1'), { transport: 'tcp' });
    assert.deepEqual(codecs(tcp.streams), ['audio:aac', 'video:h264']);
    const udp = await ffprobeRtsp(server.url('cam2'), { transport: 'udp' });
    assert.deepEqual(codecs(udp.streams), ['audio:aac', 'video:h264']);

    const play = gstPlayRtsp(server.url('cam1'), { protocols: 'tcp', seconds: 3 });
    const srv = server;
    await srv.waitForSessions((m) => m.cam1?.playing === 1 && m.cam2?.playing === 0, 8000);
    const result = await play;
    assert.equal(result.reachedPlaying, true, result.errors.join('; '));
    assert.ok(result.buffers.video > 10, `video buffers ${result.buffers.video}`);
    assert.ok(result.buffers.audio > 10, `audio buffers ${result.buffers.audio}`);
    await srv.waitForSessions((m) => m.cam1?.sessions === 0, 8000);
  });
});

describe('GStreamer RTSP server helper with auth', () => {
  for (const method of ['basic', 'digest'] as const) {
    it(`${method}: right password plays, wrong password gets 401`, async () => {
      const auth = { method, user: 'operator', password: 's3cret' };
      const server = await startGstRtspServer({ auth, audio: false });
      try {
        const ok = await ffprobeRtsp(server.url('test', { user: auth.user, password: auth.password }));
        assert.deepEqual(codecs(ok.streams), ['video:h264']);
        await assert.rejects(
          ffprobeRtsp(server.url('test', { user: auth.user, password: 'wrong' })),
          /401 Unauthorized/,
        );
        await assert.rejects(ffprobeRtsp(server.url('test')), /401 Unauthorized/);
      } finally {
        await server.stop();
      }
    });
  }

  it('protocols=tcp refuses UDP transport', async () => {
    const server = await startGstRtspServer({ protocols: 'tcp', audio: false });
    try {
      await assert.rejects(ffprobeRtsp(server.url(), { transport: 'udp', timeoutMs: 5000 }));
      const tcp = await ffprobeRtsp(server.url(), { transport: 'tcp' });
      assert.deepEqual(codecs(tcp.streams), ['video:h264']);
    } finally {
      await server.stop();
    }
  });
});
