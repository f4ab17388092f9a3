import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  IngestStatus, SourceDescription, StreamEvent, Subjects, decodeJson, decodeStatus, ingestStatusKey, sourceGenerationKey,
} from '@streamgate/contracts';
import { InProcessBus, MemoryStateStore, createLogger } from '@streamgate/platform';
import { LiveSource } from './live-source';

const logger = createLogger({ service: 'live-source-test', level: 'silent' });
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
const formats: SourceDescription['formats'] = [{ codec: 'H264', track: 0, payload_type: 96, clock_rate: 90000, packetization_mode: 1 }];

function setup(kind: 'rtmp' | 'rtsp' = 'rtsp') {
  const bus = new InProcessBus();
  const store = new MemoryStateStore();
  const events: StreamEvent[] = [];
  bus.subscribe(Subjects.streamEvents('s1'), (m) => events.push(decodeJson(StreamEvent, m.subject, m.data)));
  let packets = 0;
  const status = (): IngestStatus => kind === 'rtsp'
    ? {
      source: 'rtsp', connected: true, playing: true, transport: 'tcp', packets_received: packets, bytes_received: 0, packets_lost: 0, jitter: 0,
      reconnects: 0, last_error: null, last_error_at: null, owner: 'me', generation: source.generation, last_packet_time: null,
    }
    : {
      source: 'rtmp', connected: true, publishing: true, packets_received: packets, frames_received: 0, bytes_received: 0, last_frame_time: null,
      started_at: 1, generation: source.generation, video_codec: null, audio_codec: null, remote_app: 'live',
    };
  const source = new LiveSource({ stream: 's1', kind, bus, store, logger, status, statusIntervalMs: 20 });
  return { bus, store, events, source, count: () => packets++ };
}

describe('LiveSource: the one lifecycle of RTMP publications and camera pulls', () => {
  test('generations continue the shared counter; source-started carries the formats and the generation', async () => {
    const { store, events, source } = setup();
    await store.set(sourceGenerationKey('s1'), '41');
    await source.loadGeneration();
    source.begin({ formats, unsupported: [] });
    await settle();
    assert.equal(source.generation, 42);
    assert.equal(await store.get(sourceGenerationKey('s1')), '42');
    assert.deepEqual(events.map((e) => [e.type, e.generation, e.source]), [['source-started', 42, 'rtsp']]);
    assert.deepEqual(events[0].formats, formats);
    assert.deepEqual(source.description(), { stream: 's1', source: 'rtsp', generation: 42, formats, unsupported: [] });
  });

  test('a generation counted by the caller (RTMP registry) is used as is', async () => {
    const { events, source } = setup('rtmp');
    source.begin({}, 7);
    await settle();
    assert.equal(events[0].generation, 7);
    assert.equal(source.description()?.generation, 7);
  });

  test('stop: source-stopped once, with the reason cut to 500 characters; no description after', async () => {
    const { events, source } = setup();
    source.begin({ formats });
    source.stop('x'.repeat(900));
    source.stop('again');
    await settle();
    assert.deepEqual(events.map((e) => e.type), ['source-started', 'source-stopped']);
    assert.equal(events[1].reason?.length, 500);
    assert.equal(source.description(), undefined);
    assert.equal(source.started, false);
  });

  test('the heartbeat rewrites the status until the end; "stopped" writes a final one and announces the stop', async () => {
    const { store, events, source, count } = setup();
    source.begin({ formats });
    source.startHeartbeat();
    count();
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(decodeStatus('ingest', await store.get(ingestStatusKey('s1')))?.packets_received, 1);
    await source.end('camera stopped');
    count();
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(decodeStatus('ingest', await store.get(ingestStatusKey('s1')))?.packets_received, 1, 'no write after the end');
    assert.deepEqual(events.map((e) => [e.type, e.reason]), [['source-started', undefined], ['source-stopped', 'camera stopped']]);
  });

  test('"removed" deletes the status; "handover" announces nothing and leaves the status to the next owner', async () => {
    const removed = setup();
    removed.source.begin({ formats });
    removed.source.writeStatus();
    await removed.source.end('camera removed', 'removed');
    await settle();
    assert.equal(await removed.store.get(ingestStatusKey('s1')), undefined);
    assert.deepEqual(removed.events.map((e) => e.type), ['source-started', 'source-stopped']);

    const moved = setup();
    moved.source.begin({ formats });
    moved.source.writeStatus();
    await moved.source.end('ownership rebalanced', 'handover');
    await settle();
    assert.ok(await moved.store.get(ingestStatusKey('s1')));
    assert.deepEqual(moved.events.map((e) => e.type), ['source-started']);
    assert.equal(moved.source.description(), undefined);
  });

  test('describe: announced again with the same generation and told to a late packetizer, only while started', async () => {
    const { source, events } = setup('rtmp');
    source.describe({ formats });
    assert.equal(source.description(), undefined);
    source.begin({}, 1);
    source.describe({ formats });
    await settle();
    assert.deepEqual(source.description()?.formats, formats);
    assert.deepEqual(events.map((e) => [e.type, e.generation, e.formats?.length]), [['source-started', 1, undefined], ['source-started', 1, 1]]);
  });
});
