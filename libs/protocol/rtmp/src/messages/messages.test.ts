import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { amf0Property } from '../amf0/amf0-types';
import { ChunkDecoder } from '../chunk/chunk-decoder';
import { RtmpMessage } from '../chunk/rtmp-message';
import { decodeCommand, encodeCommand } from './command';
import { RtmpMessageError } from './message-error';
import { ProtocolControlMessage, decodeProtocolControl, encodeProtocolControl } from './protocol-control';
import {
  callError, connectResult, createStreamResult, onFcPublish, publishBadName, publishStart, simpleResult, unpublishSuccess,
} from './replies';
import { UserControlEvent, decodeUserControl, encodeUserControl, pingResponse, streamBegin } from './user-control';

const FIXTURES = join(__dirname, '../../../../../../libs/protocol/rtmp/fixtures');
const ffmpegMessages = new ChunkDecoder().push(new Uint8Array(readFileSync(join(FIXTURES, 'ffmpeg-5.1-publish.bin'))).subarray(3073));

describe('protocol control messages (§5.4)', () => {
  const TABLE: [ProtocolControlMessage, number[]][] = [
    [{ type: 'set-chunk-size', chunkSize: 4096 }, [1, 0, 0, 0x10, 0]],
    [{ type: 'abort', chunkStreamId: 6 }, [2, 0, 0, 0, 6]],
    [{ type: 'acknowledgement', sequenceNumber: 2500000 }, [3, 0, 0x26, 0x25, 0xa0]],
    [{ type: 'window-acknowledgement-size', windowSize: 5000000 }, [5, 0, 0x4c, 0x4b, 0x40]],
    [{ type: 'set-peer-bandwidth', windowSize: 5000000, limitType: 2 }, [6, 0, 0x4c, 0x4b, 0x40, 2]],
  ];
  for (const [msg, [typeId, ...payload]] of TABLE) {
    test(`${msg.type} round trip`, () => {
      const encoded = encodeProtocolControl(msg);
      assert.deepEqual(encoded, { typeId, streamId: 0, timestamp: 0, payload: Uint8Array.from(payload) });
      assert.deepEqual(decodeProtocolControl(encoded), msg);
    });
  }

  test('ffmpeg 5.1 sends Set Chunk Size 4096 right after connect', () => {
    assert.deepEqual(decodeProtocolControl(ffmpegMessages[1]), { type: 'set-chunk-size', chunkSize: 4096 });
  });

  test('short payloads are RtmpMessageError', () => {
    assert.throws(() => decodeProtocolControl({ typeId: 6, streamId: 0, timestamp: 0, payload: Uint8Array.of(0, 0, 0, 1) }), RtmpMessageError);
  });
});

describe('user control messages (§6.2)', () => {
  test('Stream Begin, Ping Response and Set Buffer Length round trip', () => {
    assert.deepEqual([...streamBegin(1).payload], [0, 0, 0, 0, 0, 1]);
    assert.deepEqual(decodeUserControl(pingResponse(77)), { event: UserControlEvent.PingResponse, value: 77 });
    const sbl = { event: UserControlEvent.SetBufferLength, value: 1, bufferLength: 3000 };
    assert.deepEqual(decodeUserControl(encodeUserControl(sbl)), sbl);
    assert.throws(() => decodeUserControl({ typeId: 4, streamId: 0, timestamp: 0, payload: Uint8Array.of(0, 6) }), RtmpMessageError);
  });
});

describe('command messages (§7)', () => {
  test('ffmpeg 5.1 publish sequence decodes to the commands it sends', () => {
    const cmds = ffmpegMessages.filter((m) => m.typeId === 20).map((m) => decodeCommand(m));
    assert.deepEqual(cmds.map((c) => [c.name, c.transactionId, c.args]), [
      ['connect', 1, []],
      ['releaseStream', 2, ['test']],
      ['FCPublish', 3, ['test']],
      ['createStream', 4, []],
      ['publish', 5, ['test', 'live']],
    ]);
    assert.equal(amf0Property(cmds[0].commandObject, 'app'), 'live');
  });

  test('AMF3 command (type 17) skips the format byte', () => {
    const amf0 = encodeCommand({ name: 'deleteStream', transactionId: 6, commandObject: null, args: [1] });
    const amf3: RtmpMessage = { ...amf0, typeId: 17, payload: Uint8Array.from([0, ...amf0.payload]) };
    assert.deepEqual(decodeCommand(amf3), decodeCommand(amf0));
  });

  test('a command whose first value is not a string is RtmpMessageError', () => {
    assert.throws(() => decodeCommand({ typeId: 20, streamId: 0, timestamp: 0, payload: Uint8Array.of(5) }), RtmpMessageError);
  });

  test('replies carry what FFmpeg and OBS look for', () => {
    const connect = decodeCommand(connectResult(1));
    assert.equal(connect.name, '_result');
    assert.equal(amf0Property(connect.commandObject, 'fmsVer'), 'FMS/3,0,1,123');
    assert.equal(amf0Property(connect.args[0], 'code'), 'NetConnection.Connect.Success');
    assert.equal(amf0Property(connect.args[0], 'objectEncoding'), 0);
    assert.deepEqual(decodeCommand(createStreamResult(4, 1)).args, [1]);
    assert.deepEqual(decodeCommand(simpleResult(2)), { name: '_result', transactionId: 2, commandObject: null, args: [] });
    const start = publishStart(1, 'cam');
    assert.equal(start.streamId, 1);
    assert.equal(amf0Property(decodeCommand(start).args[0], 'code'), 'NetStream.Publish.Start');
    const bad = decodeCommand(publishBadName(1, 'taken'));
    assert.equal(bad.name, 'onStatus');
    assert.equal(amf0Property(bad.args[0], 'level'), 'error');
    assert.equal(amf0Property(bad.args[0], 'code'), 'NetStream.Publish.BadName');
    assert.equal(amf0Property(decodeCommand(unpublishSuccess(1, 'cam')).args[0], 'code'), 'NetStream.Unpublish.Success');
    assert.equal(decodeCommand(onFcPublish('cam')).name, 'onFCPublish');
    assert.equal(decodeCommand(callError(9, 'nope')).name, '_error');
  });
});
