import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { killAll, waitFor, withTimeout } from '@streamgate/testing';
import { decodeJson } from '@streamgate/contracts';
import { parseAudioTag, parseVideoTag } from '@streamgate/protocol-rtmp';
import { parseAudioSpecificConfig } from '@streamgate/protocol-rtp';
import { IngestSubjects, RtmpKickReply, RtmpPublisherList, ingestStatusKey } from '@streamgate/contracts';
import { TestIngest, pushWithFfmpeg, startTestIngest } from '../test-support/ingest-harness';

const enc = new TextEncoder();

describe('RTMP ingest with real ffmpeg publishers', () => {
  let ingest: TestIngest;
  before(async () => {
    ingest = await startTestIngest();
  });
  after(async () => {
    await killAll();
    await ingest.stop();
  });

  test('2 s of H.264 High (-bf 2) + AAC: started, sequence headers, ~50 frames, B-frame offsets, status, stopped', async () => {
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

    const tags = ingest.recorder.tagsOf('cam1');
    const video = tags.filter((t) => t.tagType === 9).map((t) => ({ t, v: parseVideoTag(t.data) }));
    const first = video[0].v;
    assert.ok(first.codec === 'avc' && first.packetType === 'sequence-header', 'AVC sequence header first among video');
    const frames = video.filter(({ v }) => v.codec === 'avc' && v.packetType === 'nalu');
    assert.ok(frames.length >= 47 && frames.length <= 52, `${frames.length} video frames for 50 pushed`);
    assert.ok(frames.some(({ v }) => v.codec === 'avc' && v.compositionTime !== 0), 'B-frames give composition offsets');
    assert.ok(frames[0].v.codec === 'avc' && frames[0].v.keyframe, 'first frame is a keyframe');
    for (let i = 1; i < frames.length; i++) assert.ok(frames[i].t.timestamp >= frames[i - 1].t.timestamp, 'dts never goes back');

    const audio = tags.filter((t) => t.tagType === 8).map((t) => parseAudioTag(t.data));
    assert.ok(audio[0].codec === 'aac' && audio[0].packetType === 'sequence-header');
    assert.equal(parseAudioSpecificConfig(audio[0].data).sampleRate, 48000);
    assert.ok(audio.length > 80, `${audio.length} audio tags`);
    assert.ok(tags.some((t) => t.tagType === 18), 'onMetaData script tag forwarded');
    assert.ok(tags.every((t) => t.receivedAt > started.at - 1000 && t.receivedAt <= Date.now()));

    const final = JSON.parse((await ingest.store.get(ingestStatusKey('cam1'))) ?? '{}') as Record<string, unknown>;
    assert.equal(final.connected, false);
    assert.equal(final.publishing, false);
    assert.equal(final.frames_received, frames.length);
    assert.equal(final.packets_received, tags.length);
  });

  test('rtmp://host/stream/<key>?query form: stream name is the key without the query, never logged', async () => {
    const ff = pushWithFfmpeg(`rtmp://127.0.0.1:${ingest.port}/stream/drone_7?token=s3cr3t`, { seconds: 1 });
    const exit = await withTimeout(ff.exited, 15_000, 'ffmpeg exit');
    assert.equal(exit.code, 0, ff.stderr());
    await waitFor(() => ingest.recorder.eventsOf('drone_7').find((e) => e.type === 'source-stopped'), 5000, 'source-stopped');
    assert.ok(ingest.recorder.tagsOf('drone_7').length > 20);
    assert.ok(ingest.logs.some((l) => l.includes('drone_7')));
    assert.ok(!ingest.logs.some((l) => l.includes('s3cr3t')), 'the query string is never logged');
  });

  test('second publisher of a live key is refused (BadName, ffmpeg fails) while the first keeps flowing; re-publish works', async () => {
    const first = pushWithFfmpeg(`rtmp://127.0.0.1:${ingest.port}/live/dup`, { seconds: 4 });
    await waitFor(() => ingest.recorder.tagsOf('dup').length > 10 || undefined, 10_000, 'first publisher media');
    const second = pushWithFfmpeg(`rtmp://127.0.0.1:${ingest.port}/live/dup`, { seconds: 4 });
    const secondExit = await withTimeout(second.exited, 10_000, 'second ffmpeg exit');
    assert.notEqual(secondExit.code, 0, 'the second publisher fails');
    assert.match(second.stderr(), /BadName|already being published/);
    const before = ingest.recorder.tagsOf('dup').length;
    await waitFor(() => ingest.recorder.tagsOf('dup').length > before + 20 || undefined, 5000, 'first publisher still flowing');
    assert.equal(ingest.recorder.eventsOf('dup').filter((e) => e.type === 'source-started').length, 1);
    assert.ok(ingest.logs.some((l) => l.includes('publish refused') && l.includes('already being published')));
    const firstExit = await withTimeout(first.exited, 15_000, 'first ffmpeg exit');
    assert.equal(firstExit.code, 0, first.stderr());
    await waitFor(() => ingest.recorder.eventsOf('dup').find((e) => e.type === 'source-stopped'), 5000, 'source-stopped');

    const again = pushWithFfmpeg(`rtmp://127.0.0.1:${ingest.port}/live/dup`, { seconds: 1 });
    assert.equal((await withTimeout(again.exited, 15_000, 're-publish exit')).code, 0, again.stderr());
    const events = ingest.recorder.eventsOf('dup').map((e) => [e.type, e.generation]);
    assert.deepEqual(events, [['source-started', 1], ['source-stopped', 1], ['source-started', 2], ['source-stopped', 2]]);
  });

  test('ingest.rtmp.kick disconnects the publisher; unknown stream replies ok:false', async () => {
    const t0 = Date.now();
    const ff = pushWithFfmpeg(`rtmp://127.0.0.1:${ingest.port}/live/kickme`, { seconds: 10 });
    await waitFor(() => ingest.recorder.tagsOf('kickme').length > 5 || undefined, 10_000, 'media');
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
    ingest = await startTestIngest({ RTMP_REQUIRE_KNOWN_KEYS: 'true' });
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
