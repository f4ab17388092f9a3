import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  EgressStatus, PacketizerStatus, RtmpIngestStatus, RtspIngestStatus, StatusError, StatusService,
  decodeStatus, encodeStatus, parseStatusKey, statusKey,
} from './status';

// Records as the writers build them (services/ingest rtmp-publication and camera-puller,
// packetizer stream-state, rtsp-egress fanout-registry).
const RTMP: RtmpIngestStatus = {
  source: 'rtmp', connected: true, publishing: true, packets_received: 120, frames_received: 50, bytes_received: 123456,
  last_frame_time: 1764640000.123, started_at: 1764639990.5, generation: 3, video_codec: 'H264', audio_codec: 'MPEG4-GENERIC', remote_app: 'live',
};
const RTSP: RtspIngestStatus = {
  source: 'rtsp', connected: true, playing: true, transport: 'udp', packets_received: 900, bytes_received: 800000, packets_lost: 2,
  jitter: 0.0012, reconnects: 1, last_error: null, owner: 'ingest-a', generation: 2, last_packet_time: 1764640000.5,
};
const PACKETIZER: PacketizerStatus = {
  source: 'rtsp', frames_received: 250, fps: 25, bitrate_kbps: 800, last_frame_time: 1764640000,
  tracks: [{ id: 0, media: 'video', codec: 'H264', profile: 'High', level: '3.1', width: 1280, height: 720, sample_rate: 90000, channels: null }],
  unsupported_tracks: [{ index: 2, media: 'application', codec: 'ONVIF.METADATA', reason: 'not audio or video' }],
};
const EGRESS: EgressStatus = { readers: 3, readers_tcp: 2, readers_udp: 1, bytes_sent: 99, dropped_readers: 0 };

describe('status records', () => {
  test('every writer shape round-trips through encodeStatus / decodeStatus unchanged', () => {
    for (const [service, record] of [['ingest', RTMP], ['ingest', RTSP], ['packetizer', PACKETIZER], ['rtsp-egress', EGRESS]] as const) {
      assert.deepEqual(decodeStatus(service, encodeStatus(service, record)), record);
    }
  });

  test('a writer cannot drift: a wrong type or a missing field throws, an unknown field is dropped', () => {
    assert.throws(() => encodeStatus('ingest', { ...RTMP, bytes_received: -1 }), StatusError);
    assert.throws(() => encodeStatus('rtsp-egress', { ...EGRESS, readers: 1.5 }), /invalid rtsp-egress status: readers/);
    const noFps: Partial<PacketizerStatus> = { ...PACKETIZER };
    delete noFps.fps;
    assert.throws(() => encodeStatus('packetizer', noFps as PacketizerStatus), /fps: Required/);
    const extra = { ...EGRESS, secret: 'x' } as EgressStatus;
    assert.deepEqual(JSON.parse(encodeStatus('rtsp-egress', extra)), EGRESS);
  });

  test('readers tolerate records from older writers (missing fields) and ignore unreadable ones', () => {
    assert.deepEqual(decodeStatus('packetizer', '{"fps":25,"bitrate_kbps":800}'), { fps: 25, bitrate_kbps: 800 });
    assert.deepEqual(decodeStatus('rtsp-egress', '{"readers":3,"bytes_sent":99}'), { readers: 3, bytes_sent: 99 });
    assert.deepEqual(decodeStatus('ingest', '{"source":"rtmp","publishing":true}'), { source: 'rtmp', publishing: true });
    assert.equal(decodeStatus('ingest', undefined), undefined);
    assert.equal(decodeStatus('ingest', 'not json'), undefined);
    assert.equal(decodeStatus('ingest', '{"publishing":true}'), undefined, 'an ingest record says which source it is');
    assert.equal(decodeStatus('ingest', '{"source":"rtsp","playing":"yes"}'), undefined);
    assert.equal(decodeStatus('packetizer', '[1,2]'), undefined);
  });

  test('status keys', () => {
    assert.equal(statusKey('cam1', 'rtsp-egress'), 'status/cam1/rtsp-egress');
    assert.deepEqual(parseStatusKey('status/cam1/packetizer'), { stream: 'cam1', service: 'packetizer' });
    for (const k of ['status/cam1', 'status/cam1/other', 'status//ingest', 'registry/cam1/ingest', 'status/cam1/ingest/x']) {
      assert.equal(parseStatusKey(k), undefined, k);
    }
  });

  test('property: decodeStatus never throws, and whatever it returns re-encodes only when complete', () => {
    const services: StatusService[] = ['ingest', 'packetizer', 'rtsp-egress'];
    const seeds = [RTMP, RTSP, PACKETIZER, EGRESS].map((r) => JSON.stringify(r));
    const mutated = fc.tuple(fc.constantFrom(...seeds), fc.nat(), fc.string({ maxLength: 4 }))
      .map(([s, at, ins]) => s.slice(0, at % (s.length + 1)) + ins + s.slice(at % (s.length + 1)));
    const input = fc.oneof(fc.string(), fc.json(), mutated, fc.constantFrom(...seeds));
    fc.assert(fc.property(fc.constantFrom(...services), input, (service, raw) => {
      const decoded = decodeStatus(service, raw);
      if (decoded === undefined) return;
      assert.equal(typeof decoded, 'object');
      try {
        assert.deepEqual(JSON.parse(encodeStatus(service, decoded as never)), decoded);
      } catch (err) {
        assert.ok(err instanceof StatusError, String(err));
      }
    }), { numRuns: 2000 });
  });
});
