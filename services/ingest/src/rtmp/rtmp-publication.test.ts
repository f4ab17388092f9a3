/**
 * RtmpPublication's held units: codec units read before the formats are complete (video while
 * an announced AAC sequence header is awaited) are held and sent after the description, at most
 * MAX_HELD_UNITS / MAX_HELD_BYTES of them (the oldest go), and copied: the tag body they came
 * from belongs to the connection's read and may be reused. Tags from a real publish (ffmpeg 5.1,
 * libx264 + AAC, captured by libs/protocol/rtmp/fixtures/capture.mjs).
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CodecUnitMessage, StreamEvent, Subjects, decodeEnvelope, decodeJson } from '@streamgate/contracts';
import { FLV_AUDIO_WAIT_MS } from '@streamgate/media';
import { InProcessBus, MemoryStateStore, createLogger } from '@streamgate/platform';
import { ChunkDecoder, FlvTagType, flvTagTypeOf, parseAudioTag, parseVideoTag } from '@streamgate/protocol-rtmp';
import { MAX_HELD_BYTES, MAX_HELD_UNITS, RtmpPublication } from './rtmp-publication';

const FIXTURES = join(__dirname, '../../../../../libs/protocol/rtmp/fixtures');
const tags = new ChunkDecoder().push(new Uint8Array(readFileSync(join(FIXTURES, 'ffmpeg-5.1-publish.bin'))).subarray(3073))
  .map((m) => ({ tagType: flvTagTypeOf(m.typeId), data: m.payload }))
  .filter((t): t is { tagType: FlvTagType; data: Uint8Array } => t.tagType !== undefined);
const metadata = tags.find((t) => t.tagType === 18);
const isVideo = (packetType: string) => (t: (typeof tags)[number]): boolean => {
  if (t.tagType !== 9) return false;
  const tag = parseVideoTag(t.data);
  return tag.codec !== 'unsupported' && tag.packetType === packetType;
};
const videoHeader = tags.find(isVideo('sequence-header'));
const keyframe = tags.find((t) => isVideo('nalu')(t) && (t.data[0] >> 4) === 1);
const aacHeader = tags.find((t) => {
  if (t.tagType !== 8) return false;
  const tag = parseAudioTag(t.data);
  return tag.codec === 'aac' && tag.packetType === 'sequence-header';
});

function setup() {
  const bus = new InProcessBus();
  const units: CodecUnitMessage[] = [];
  const events: StreamEvent[] = [];
  bus.subscribe(Subjects.mediaIn('cam'), (m) => {
    const msg = decodeEnvelope(m.data);
    if (msg.kind === 'codec-unit') units.push(msg);
  });
  bus.subscribe(Subjects.streamEvents('cam'), (m) => events.push(decodeJson(StreamEvent, m.subject, m.data)));
  const publication = new RtmpPublication({
    stream: 'cam', app: 'live', generation: 1, bus, store: new MemoryStateStore(), logger: createLogger({ service: 'rtmp-publication-test', level: 'silent' }),
    onEnded: async () => undefined, disconnect: () => undefined,
  });
  publication.start();
  return { publication, units, events };
}

/** A tag body as the connection hands it: a Buffer view into memory it may reuse. */
const asRead = (data: Uint8Array): Buffer => Buffer.from(data);

describe('RtmpPublication: units held until the formats are complete', () => {
  assert.ok(metadata && videoHeader && keyframe && aacHeader, 'the capture has metadata, both sequence headers and a keyframe');

  it('sends the held units after the description, copied from the tag bodies, at most MAX_HELD_UNITS (the newest)', async () => {
    const { publication, units, events } = setup();
    try {
      assert.equal(publication.media(18, 0, asRead(metadata!.data)), undefined);
      assert.equal(publication.media(9, 0, asRead(videoHeader!.data)), undefined);
      const count = MAX_HELD_UNITS + 40;
      const expected: Buffer[] = [];
      for (let i = 0; i < count; i++) {
        // Within the audio wait: the AAC sequence header the metadata announced is still expected.
        const body = asRead(keyframe!.data);
        // Each unit told apart by its last byte (slice data, not parsed here).
        body[body.byteLength - 1] = i & 0xff;
        publication.media(9, Math.floor((i * (FLV_AUDIO_WAIT_MS - 100)) / count), body);
        expected.push(Buffer.from(body.subarray(body.byteLength - 1)));
        body.fill(0); // the read buffer reused
      }
      await new Promise((r) => setImmediate(r));
      assert.equal(units.length, 0, 'nothing sent before the formats are complete');
      publication.media(8, FLV_AUDIO_WAIT_MS - 50, asRead(aacHeader!.data));
      await new Promise((r) => setImmediate(r));
      const described = events.filter((e) => e.type === 'source-started' && (e.formats?.length ?? 0) === 2);
      assert.equal(described.length, 1, 'source-started with both formats');
      assert.equal(units.length, MAX_HELD_UNITS, 'the oldest held units went');
      units.forEach((u, i) => {
        const last = u.payloads[u.payloads.length - 1];
        assert.equal(last[last.byteLength - 1], expected[count - MAX_HELD_UNITS + i][0], `unit ${i} is the held copy of its tag`);
      });
    } finally {
      await publication.end('test over');
    }
  });

  it('holds at most MAX_HELD_BYTES of payload', async () => {
    const { publication, units } = setup();
    try {
      publication.media(18, 0, asRead(metadata!.data));
      publication.media(9, 0, asRead(videoHeader!.data));
      // One IDR NAL unit of 1 MiB per tag (AVC NALU packet, 4-byte lengths).
      const naluSize = 1024 * 1024;
      const count = Math.ceil(MAX_HELD_BYTES / naluSize) + 4;
      for (let i = 0; i < count; i++) {
        const body = Buffer.alloc(5 + 4 + naluSize, i & 0xff);
        body.set([0x17, 0x01, 0, 0, 0]);
        body.writeUInt32BE(naluSize, 5);
        body[9] = 0x65;
        publication.media(9, i, body);
      }
      publication.media(8, 100, asRead(aacHeader!.data));
      await new Promise((r) => setImmediate(r));
      const bytes = units.reduce((n, u) => n + u.payloads.reduce((m, p) => m + p.byteLength, 0), 0);
      assert.ok(units.length > 0 && units.length < count, `some held units went (${units.length} of ${count} sent)`);
      assert.ok(bytes <= MAX_HELD_BYTES, `${bytes} held bytes ≤ ${MAX_HELD_BYTES}`);
      // The newest stayed: the last tag's fill byte.
      const last = units[units.length - 1].payloads[0];
      assert.equal(last[last.byteLength - 1], (count - 1) & 0xff);
    } finally {
      await publication.end('test over');
    }
  });
});
