import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  IngestSubjects, SourceDescription, StreamEvent, Subjects, decodeEnvelope, encodeEnvelope, encodeJson, type SourceFormat,
} from '@streamgate/contracts';
import { InProcessBus } from '@streamgate/platform';
import { PublishedKeyError, PublishedRelay } from './published-relay';
import type { SourceTracks } from './live-source';

const H264: SourceFormat = { codec: 'H264', track: 0, payload_type: 96, clock_rate: 90000, packetization_mode: 1, sps: 'Z2QAH6zZQFAFuhAAAAMAEAAAAwPI8YMZYA==', pps: 'aOvjyyLA' };
const AAC: SourceFormat = { codec: 'MPEG4-GENERIC', track: 1, payload_type: 97, clock_rate: 48000, config: '1190', size_length: 13, index_length: 3, index_delta_length: 3 };

const started = (generation: number, formats?: SourceFormat[], source: 'rtmp' | 'rtsp' = 'rtmp'): Uint8Array =>
  encodeJson(StreamEvent, { type: 'source-started', stream: 'drone', source, at: Date.now(), generation, ...(formats ? { formats } : {}) });
const stopped = (generation: number): Uint8Array =>
  encodeJson(StreamEvent, { type: 'source-stopped', stream: 'drone', source: 'rtmp', at: Date.now(), generation, reason: 'publisher left' });
const unit = (track: number, timestamp: number, receivedAt: number): Uint8Array =>
  encodeEnvelope({ kind: 'codec-unit', track, keyframe: track === 0, timestamp, receivedAt, payloads: [Uint8Array.of(0x65, 1, 2, 3)] });

function relayOn(bus: InProcessBus, startTimeoutMs = 1000) {
  const units: { envelope: Uint8Array; track: number; receivedAt: number }[] = [];
  const described: SourceTracks[] = [];
  const ended: Error[] = [];
  const relay = new PublishedRelay({
    bus, key: 'drone', startTimeoutMs,
    onUnit: (envelope, track, receivedAt) => units.push({ envelope, track, receivedAt }),
    onDescribed: (t) => described.push(t),
    onEnded: (e) => ended.push(e),
  });
  return { relay, units, described, ended };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

describe('PublishedRelay (a publish:<key> backup source)', () => {
  test('a key already published: its description comes from ingest.<k>.source, its units are relayed byte for byte', async () => {
    const bus = new InProcessBus();
    bus.subscribe(IngestSubjects.source('drone'), (m) => m.respond(encodeJson(SourceDescription, { stream: 'drone', source: 'rtmp', generation: 4, formats: [H264, AAC] })));
    const r = relayOn(bus);
    const tracks = await r.relay.start();
    assert.deepEqual(tracks.formats, [H264, AAC]);
    assert.deepEqual(r.relay.tracks.map((t) => [t.index, t.media]), [[0, 'video'], [1, 'audio']]);
    const sent = [unit(0, 3000, 1000.5), unit(1, 960, 1001.25), unit(7, 0, 1002), Uint8Array.of(1, 5, 0, 1)];
    for (const u of sent) bus.publish(Subjects.mediaIn('drone'), u);
    await tick();
    // The unknown track 7 and a truncated envelope are not relayed; the others are the same bytes, not a re-encoding.
    assert.equal(r.units.length, 2);
    assert.equal(r.units[0].envelope, sent[0]);
    assert.deepEqual(r.units.map((u) => [u.track, u.receivedAt]), [[0, 1000.5], [1, 1001.25]]);
    assert.equal(decodeEnvelope(r.units[1].envelope).kind, 'codec-unit');
    assert.equal(r.relay.tracks[0].lastPacketAt, 1000.5);
    assert.equal(r.relay.tracks[0].units, 1);
    assert.equal(r.relay.tracks[0].bytes, 4, 'payload bytes counted');
    // New sequence headers of the same publication: described again; then its end ends the relay.
    bus.publish(Subjects.streamEvents('drone'), started(4, [H264]));
    await tick();
    assert.deepEqual(r.described.map((d) => d.formats), [[H264]]);
    bus.publish(Subjects.streamEvents('drone'), stopped(3));
    await tick();
    assert.equal(r.ended.length, 0, 'a stop of another generation is not ours');
    bus.publish(Subjects.streamEvents('drone'), stopped(4));
    await tick();
    assert.equal(r.ended.length, 1);
    assert.match(r.ended[0].message, /drone stopped: publisher left/);
    bus.publish(Subjects.mediaIn('drone'), unit(0, 6000, 1003));
    await tick();
    assert.equal(r.units.length, 2, 'nothing is relayed after the end');
  });

  test('a key published later: its source-started without formats waits, the one with formats starts the relay; media before it is dropped', async () => {
    const bus = new InProcessBus();
    const r = relayOn(bus);
    const starting = r.relay.start();
    await tick();
    bus.publish(Subjects.mediaIn('drone'), unit(0, 0, 1));
    bus.publish(Subjects.streamEvents('drone'), started(9));
    await tick();
    bus.publish(Subjects.streamEvents('drone'), started(9, [H264]));
    assert.deepEqual((await starting).formats, [H264]);
    assert.equal(r.units.length, 0);
    // A re-publish (next generation) is another source: the relay ends.
    bus.publish(Subjects.streamEvents('drone'), started(10, [H264]));
    await tick();
    assert.match(r.ended[0]?.message ?? '', /published again/);
  });

  test('nothing published: start fails after its timeout with a PublishedKeyError, and unsubscribes', async () => {
    const bus = new InProcessBus();
    const r = relayOn(bus, 100);
    const t0 = Date.now();
    await assert.rejects(r.relay.start(), (e: unknown) => e instanceof PublishedKeyError && /nothing published on drone within 0.1 s/.test(e.message));
    assert.ok(Date.now() - t0 >= 90);
    bus.publish(Subjects.streamEvents('drone'), started(1, [H264]));
    await tick();
    assert.equal(r.described.length, 0);
  });

  test('a key that is a camera (RTP, not a push) is refused', async () => {
    const bus = new InProcessBus();
    bus.subscribe(IngestSubjects.source('drone'), (m) => m.respond(encodeJson(SourceDescription, { stream: 'drone', source: 'rtsp', generation: 1, formats: [H264] })));
    const r = relayOn(bus);
    await assert.rejects(r.relay.start(), /drone is not a published stream \(its source is rtsp\)/);
  });
});
