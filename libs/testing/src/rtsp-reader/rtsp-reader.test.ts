import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startGstRtspServer } from '../gst-rtsp-server';
import { killAll } from '../processes';
import { RtspReader } from './rtsp-reader';

after(() => killAll());

describe('RtspReader against GStreamer RTSP server', () => {
  for (const transport of ['tcp', 'udp'] as const) {
    it(`${transport}: counts RTP on both tracks without gaps, and tears down`, async () => {
      const server = await startGstRtspServer({ mounts: ['cam'], statusIntervalMs: 100 });
      try {
        const readers = await Promise.all([1, 2, 3].map(() => RtspReader.open(server.url('cam'), { transport })));
        await server.waitForSessions((m) => m.cam?.playing === 3, 5000);
        await new Promise((r) => setTimeout(r, 2000));
        for (const reader of readers) {
          const s = reader.stats();
          assert.deepEqual(s.tracks.map((t) => t.media), ['video', 'audio']);
          assert.equal(s.closedByServer, false, s.error);
          for (const t of s.tracks) {
            assert.ok(t.packets > 20, `${t.media} packets ${t.packets}`);
            assert.equal(t.lost, 0, `${t.media} lost`);
            assert.equal(t.invalid, 0);
          }
        }
        await Promise.all(readers.map((r) => r.close()));
        await server.waitForSessions((m) => m.cam?.sessions === 0, 5000);
      } finally {
        await server.stop();
      }
    });
  }

  it('udp over IPv6 (rtsp://[::1]…): its RTP ports are on the address the connection leaves from, and RTP arrives', async () => {
    // Bound on 127.0.0.1 as before, the reader would get nothing: the server sends to ::1.
    const server = await startGstRtspServer({ mounts: ['cam'], statusIntervalMs: 100, address: '::' });
    try {
      const reader = await RtspReader.open(server.url('cam').replace('//127.0.0.1:', '//[::1]:'), { transport: 'udp' });
      await new Promise((r) => setTimeout(r, 1500));
      const s = reader.stats();
      assert.equal(s.closedByServer, false, s.error);
      for (const t of s.tracks) assert.ok(t.packets > 10, `${t.media} packets ${t.packets}`);
      await reader.close();
    } finally {
      await server.stop();
    }
  });

  it('rejects with the status when the path does not exist', async () => {
    const server = await startGstRtspServer({ audio: false });
    try {
      await assert.rejects(RtspReader.open(server.url('nope'), { transport: 'tcp' }), /DESCRIBE answered 404/);
    } finally {
      await server.stop();
    }
  });
});

describe('RtspReader with credentials (GStreamer RTSP server with Digest auth)', () => {
  it('answers the Digest challenge and plays; wrong credentials fail with 401', async () => {
    const server = await startGstRtspServer({ mounts: ['cam'], auth: { method: 'digest', user: 'u', password: 'p-secret' } });
    try {
      const reader = await RtspReader.open(server.url('cam'), { transport: 'tcp', credentials: { username: 'u', password: 'p-secret' } });
      await new Promise((r) => setTimeout(r, 1000));
      assert.ok(reader.stats().tracks[0].packets > 5);
      await reader.close();
      await assert.rejects(RtspReader.open(server.url('cam'), { transport: 'tcp', credentials: { username: 'u', password: 'nope' } }), /401/);
    } finally {
      await server.stop();
    }
  });
});
