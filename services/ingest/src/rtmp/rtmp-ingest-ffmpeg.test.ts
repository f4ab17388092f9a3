import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { killAll, waitFor, withTimeout } from '@streamgate/testing';
import { decodeJson } from '@streamgate/contracts';
import { h264NalType, parseAudioSpecificConfig } from '@streamgate/codec';
import { IngestSubjects, RtmpKickReply, RtmpPublisherList, ingestStatusKey } from '@streamgate/contracts';
import { pushWithFfmpeg, startTestIngest, TestIngest } from '@streamgate/ingest/testing';
import { startIngest } from '../index';

const enc = new TextEncoder();

describe('RTMP ingest with real ffmpeg publishers', () => {
  let ingest: TestIngest;
  before(async () => {
    ingest = await startTestIngest(startIngest);
  });
  after(async () => {
    await killAll();
    await ingest.stop();
  });

  test('2 s of H.264 High (-bf 2) + AAC: started, typed formats from the sequence headers, ~50 codec units, B-frame times, status, stopped', async () => {
    const ff = pushWithFfmpeg(`rtmp://127.0.0.1:${ingest.port}/live/cam1`, { seconds: 2 });
    const started = await waitFor(() => ingest.recorder.eventsOf('cam1').find((e) => e.type === 'source-started'), 10_000, 'source-started');
    assert.equal(started.source, 'rtmp');
    assert.equal(started.generation, 1);

    const live = await waitFor(async () => {
      const raw = await ingest.store.get(ingestStatusKey('cam1'));
      const s = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
      return s && typeof s.frames_received === 'number' && s.frames_received > 0 ? s : undefined;
    }, 5000, 'live status');
    assert.equal(live.source, 'rtmp');
    assert.equal(live.connected, true);
    assert.equal(live.publishing, true);
    assert.equal(live.video_codec, 'H264');
    assert.equal(live.audio_codec, 'AAC');
    assert.equal(live.remote_app, 'live');
    assert.equal(live.generation, 1);

    const list = await ingest.bus.request(IngestSubjects.rtmpList, enc.encode('{}'), { timeoutMs: 1000 });
    const streams = decodeJson(RtmpPublisherList, IngestSubjects.rtmpList, list.data).streams;
    assert.deepEqual(streams.map((s) => [s.name, s.app]), [['cam1', 'live']]);

    const exit = await withTimeout(ff.exited, 15_000, 'ffmpeg exit');
    assert.equal(exit.code, 0, ff.stderr());
    const stopped = await waitFor(() => ingest.recorder.eventsOf('cam1').find((e) => e.type === 'source-stopped'), 5000, 'source-stopped');
    assert.equal(stopped.generation, 1);

    // The formats, read once at the edge from the sequence headers, announced with the same generation.
    const described = ingest.recorder.eventsOf('cam1').find((e) => e.type === 'source-started' && e.formats !== undefined);
    assert.ok(described, 'source-started with formats');
    assert.equal(described.generation, 1);
    const [videoFormat, audioFormat] = described.formats ?? [];
    assert.ok(videoFormat?.codec === 'H264' && videoFormat.track === 0 && videoFormat.clock_rate === 90000 && videoFormat.sps && videoFormat.pps);
    assert.ok(audioFormat?.codec === 'MPEG4-GENERIC' && audioFormat.track === 1);
    assert.equal(parseAudioSpecificConfig(Buffer.from(audioFormat.config, 'hex')).sampleRate, 48000);
    assert.equal(audioFormat.clock_rate, 48000);

    const units = ingest.recorder.unitsOf('cam1');
    const frames = units.filter((u) => u.track === 0);
    assert.ok(frames.length >= 47 && frames.length <= 52, `${frames.length} video units for 50 pushed`);
    assert.ok(frames[0].keyframe && frames[0].payloads.some((n) => h264NalType(n) === 5), 'first unit is a keyframe (IDR)');
    assert.ok(frames.some((u, i) => i > 0 && u.timestamp < frames[i - 1].timestamp), 'B-frames: presentation times out of decode order');
    assert.ok(frames.every((u) => u.payloads.every((n) => h264NalType(n) >= 1 && h264NalType(n) <= 12)), 'NAL units without length prefixes');
    const audio = units.filter((u) => u.track === 1);
    assert.ok(audio.length > 80, `${audio.length} audio units`);
    for (let i = 1; i < audio.length; i++) assert.equal((audio[i].timestamp - audio[i - 1].timestamp) >>> 0, 1024, 'AAC frames 1024 samples apart');
    assert.ok(units.every((u) => u.receivedAt > started.at - 1000 && u.receivedAt <= Date.now()));

    const final = JSON.parse((await ingest.store.get(ingestStatusKey('cam1'))) ?? '{}') as Record<string, unknown>;
    assert.equal(final.connected, false);
    assert.equal(final.publishing, false);
    assert.equal(final.frames_received, frames.length);
    assert.ok(typeof final.packets_received === 'number' && final.packets_received > frames.length + audio.length, 'every RTMP media message counted');
  });

  test('rtmp://host/stream/<key>?query form: stream name is the key without the query, never logged', async () => {
    const ff = pushWithFfmpeg(`rtmp://127.0.0.1:${ingest.port}/stream/drone_7?token=s3cr3t`, { seconds: 1 });
    const exit = await withTimeout(ff.exited, 15_000, 'ffmpeg exit');
    assert.equal(exit.code, 0, ff.stderr());
    await waitFor(() => ingest.recorder.eventsOf('drone_7').find((e) => e.type === 'source-stopped'), 5000, 'source-stopped');
    assert.ok(ingest.recorder.unitsOf('drone_7').length > 20);
    assert.ok(ingest.logs.some((l) => l.includes('drone_7')));
    assert.ok(!ingest.logs.some((l) => l.includes('s3cr3t')), 'the query string is never logged');
  });

  test('second publisher of a live key is refused (BadName, ffmpeg fails) while the first keeps flowing; re-publish works', async () => {
    const first = pushWithFfmpeg(`rtmp://127.0.0.1:${ingest.port}/live/dup`, { seconds: 4 });
    await waitFor(() => ingest.recorder.unitsOf('dup').length > 10 || undefined, 10_000, 'first publisher media');
    const second = pushWithFfmpeg(`rtmp://127.0.0.1:${ingest.port}/live/dup`, { seconds: 4 });
    const secondExit = await withTimeout(second.exited, 10_000, 'second ffmpeg exit');
    assert.notEqual(secondExit.code, 0, 'the second publisher fails');
    assert.match(second.stderr(), /BadName|already being published/);
    const before = ingest.recorder.unitsOf('dup').length;
    await waitFor(() => ingest.recorder.unitsOf('dup').length > before + 20 || undefined, 5000, 'first publisher still flowing');
    assert.deepEqual(new Set(ingest.recorder.eventsOf('dup').filter((e) => e.type === 'source-started').map((e) => e.generation)), new Set([1]), 'one generation started');
    assert.ok(ingest.logs.some((l) => l.includes('publish refused') && l.includes('already being published')));
    const firstExit = await withTimeout(first.exited, 15_000, 'first ffmpeg exit');
    assert.equal(firstExit.code, 0, first.stderr());
    await waitFor(() => ingest.recorder.eventsOf('dup').find((e) => e.type === 'source-stopped'), 5000, 'source-stopped');

    const again = pushWithFfmpeg(`rtmp://127.0.0.1:${ingest.port}/live/dup`, { seconds: 1 });
    assert.equal((await withTimeout(again.exited, 15_000, 're-publish exit')).code, 0, again.stderr());
    // Each publish announces itself when accepted and again, same generation, with the formats of its sequence headers.
    const events = ingest.recorder.eventsOf('dup').map((e) => [e.type, e.generation, e.formats?.length ?? 0]);
    assert.deepEqual(events, [['source-started', 1, 0], ['source-started', 1, 2], ['source-stopped', 1, 0], ['source-started', 2, 0], ['source-started', 2, 2], ['source-stopped', 2, 0]]);
  });

  test('ingest.rtmp.kick disconnects the publisher; unknown stream replies ok:false', async () => {
    const t0 = Date.now();
    const ff = pushWithFfmpeg(`rtmp://127.0.0.1:${ingest.port}/live/kickme`, { seconds: 10 });
    await waitFor(() => ingest.recorder.unitsOf('kickme').length > 5 || undefined, 10_000, 'media');
    const reply = await ingest.bus.request(IngestSubjects.rtmpKick, enc.encode(JSON.stringify({ stream: 'kickme' })), { timeoutMs: 1000 });
    assert.deepEqual(decodeJson(RtmpKickReply, IngestSubjects.rtmpKick, reply.data), { ok: true });
    await waitFor(() => ingest.recorder.eventsOf('kickme').find((e) => e.type === 'source-stopped'), 5000, 'source-stopped');
    await withTimeout(ff.exited, 10_000, 'kicked ffmpeg exit');
    assert.ok(Date.now() - t0 < 8000, 'ffmpeg stopped long before its 10 s clip ended');
    const none = await ingest.bus.request(IngestSubjects.rtmpKick, enc.encode(JSON.stringify({ stream: 'nobody' })), { timeoutMs: 1000 });
    assert.deepEqual(decodeJson(RtmpKickReply, IngestSubjects.rtmpKick, none.data), { ok: false });
  });
});

describe('RTMP_REQUIRE_KNOWN_KEYS', () => {
  let ingest: TestIngest;
  before(async () => {
    ingest = await startTestIngest(startIngest, { RTMP_REQUIRE_KNOWN_KEYS: 'true' });
  });
  after(async () => {
    await killAll();
    await ingest.stop();
  });

  test('unknown or disabled keys are refused; an enabled key is accepted', async () => {
    const unknown = pushWithFfmpeg(`rtmp://127.0.0.1:${ingest.port}/live/unknown1`, { seconds: 1 });
    assert.notEqual((await withTimeout(unknown.exited, 10_000, 'ffmpeg exit')).code, 0);
    await ingest.store.set('rtmp-keys/off1', JSON.stringify({ enabled: false, created_at: 1, updated_at: 1 }));
    const disabled = pushWithFfmpeg(`rtmp://127.0.0.1:${ingest.port}/live/off1`, { seconds: 1 });
    assert.notEqual((await withTimeout(disabled.exited, 10_000, 'ffmpeg exit')).code, 0);
    await ingest.store.set('rtmp-keys/on1', JSON.stringify({ enabled: true, created_at: 1, updated_at: 1 }));
    const enabled = pushWithFfmpeg(`rtmp://127.0.0.1:${ingest.port}/live/on1`, { seconds: 1 });
    assert.equal((await withTimeout(enabled.exited, 15_000, 'ffmpeg exit')).code, 0, enabled.stderr());
    assert.equal(ingest.recorder.eventsOf('unknown1').length, 0);
    assert.equal(ingest.recorder.eventsOf('off1').length, 0);
    assert.equal(ingest.recorder.eventsOf('on1')[0]?.type, 'source-started');
  });
});
