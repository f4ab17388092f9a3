import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '@streamgate/platform';
import { ChunkDecoder, FlvTagType, RtmpMessage, amf0Property, decodeCommand } from '@streamgate/protocol-rtmp';
import type { Publication, PublishGate, PublishRequest } from './publish-gate';
import { RtmpSession } from './rtmp-session';

const FIXTURE = join(__dirname, '../../../../../libs/protocol/rtmp/fixtures/ffmpeg-5.1-publish.bin');
const ffmpegPublish = new Uint8Array(readFileSync(FIXTURE));
const HANDSHAKE_REPLY = 1 + 2 * 1536;

class FakeGate implements PublishGate {
  readonly requests: PublishRequest[] = [];
  readonly media: [FlvTagType, number, number][] = [];
  ended: string | undefined;
  constructor(private readonly accept = true) {}
  async begin(request: PublishRequest): ReturnType<PublishGate['begin']> {
    this.requests.push(request);
    if (!this.accept) return { accepted: false, reason: 'taken' };
    const publication: Publication = {
      stream: request.stream,
      generation: 1,
      media: (tagType, timestamp, body) => void this.media.push([tagType, timestamp, body.byteLength]),
      end: async (reason) => {
        this.ended = reason;
      },
    };
    return { accepted: true, publication };
  }
}

function sessionWith(gate: PublishGate): { session: RtmpSession; written: Uint8Array[]; ended: () => boolean } {
  const written: Uint8Array[] = [];
  let ended = false;
  const session = new RtmpSession({
    id: 'test',
    gate,
    logger: createLogger({ service: 'test', level: 'silent' }),
    maxMessageSize: 1 << 20,
    transport: { write: (b) => void written.push(b), end: () => void (ended = true), pause: () => undefined, resume: () => undefined },
  });
  return { session, written, ended: () => ended };
}

function replies(written: Uint8Array[]): RtmpMessage[] {
  const all = Buffer.concat(written);
  assert.ok(all.byteLength >= HANDSHAKE_REPLY);
  return new ChunkDecoder().push(all.subarray(HANDSHAKE_REPLY));
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('RtmpSession replaying the ffmpeg 5.1 capture', () => {
  test('answers connect/releaseStream/FCPublish/createStream/publish in order and forwards every tag', async () => {
    const gate = new FakeGate();
    const { session, written } = sessionWith(gate);
    for (let i = 0; i < ffmpegPublish.byteLength; i += 1000) session.receive(ffmpegPublish.subarray(i, i + 1000));
    await settle();
    assert.equal(session.state, 'publishing');
    assert.equal(session.stream, 'test');
    assert.deepEqual(gate.requests.map((r) => [r.stream, r.app]), [['test', 'live']]);
    const out = replies(written).map((m) => (m.typeId === 20 ? `${decodeCommand(m).name}#${decodeCommand(m).transactionId}` : `type ${m.typeId}`));
    assert.deepEqual(out, [
      'type 5', 'type 6', 'type 1', '_result#1', // Window Ack Size, Set Peer Bandwidth, Set Chunk Size, connect
      '_result#2', 'onFCPublish#0', '_result#3', '_result#4', 'type 4', 'onStatus#0',
    ]);
    const status = replies(written).filter((m) => m.typeId === 20).map((m) => decodeCommand(m)).at(-1);
    assert.equal(amf0Property(status?.args[0], 'code'), 'NetStream.Publish.Start');
    assert.equal(gate.media.length, 53);
    assert.deepEqual(gate.media.slice(0, 3), [[18, 0, 309], [9, 0, 51], [8, 0, 7]]);
    session.close('test over');
    assert.equal(gate.ended, 'test over');
    assert.equal(session.state, 'closed');
  });

  test('a refused publish sends BadName and closes without a publication', async () => {
    const gate = new FakeGate(false);
    const { session, written, ended } = sessionWith(gate);
    session.receive(ffmpegPublish);
    await settle();
    assert.equal(session.state, 'closed');
    assert.ok(ended());
    const last = replies(written).filter((m) => m.typeId === 20).map((m) => decodeCommand(m)).at(-1);
    assert.equal(amf0Property(last?.args[0], 'code'), 'NetStream.Publish.BadName');
    assert.equal(gate.media.length, 0);
  });

  test('connect twice violates the state machine and closes the session', async () => {
    const gate = new FakeGate();
    const { session } = sessionWith(gate);
    const connect = ffmpegPublish.subarray(HANDSHAKE_REPLY, HANDSHAKE_REPLY + 12 + 140 + 1);
    session.receive(ffmpegPublish.subarray(0, HANDSHAKE_REPLY));
    session.receive(connect);
    await settle();
    assert.equal(session.state, 'connected');
    session.receive(connect);
    await settle();
    assert.equal(session.state, 'closed');
  });
});
