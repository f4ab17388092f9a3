import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { TrackedProcess, killAll, waitFor } from '@streamgate/testing';
import {
  GENUINE_FMS_KEY, GENUINE_FMS_KEY_PUBLIC_LENGTH, GENUINE_FP_KEY, GENUINE_FP_KEY_PUBLIC_LENGTH, HANDSHAKE_SIZE,
  UserControlEvent, amf0Property, decodeCommand, decodeProtocolControl, decodeUserControl, encodeProtocolControl,
  encodeUserControl, findDigest, imprintDigest, responseSignature,
} from '@streamgate/protocol-rtmp';
import { pushWithFfmpeg, RawRtmpClient, startTestIngest, TestIngest } from '@streamgate/ingest/testing';
import { startIngest } from '../index';

const STEADY = 'steady';

describe('RTMP ingest: bad input closes only that connection', () => {
  let ingest: TestIngest;
  let steady: TrackedProcess;
  const clients: RawRtmpClient[] = [];
  const client = async (): Promise<RawRtmpClient> => {
    const c = await RawRtmpClient.connect(ingest.port);
    clients.push(c);
    return c;
  };

  /** The concurrent ffmpeg push keeps flowing and a new publisher-to-be can still connect. */
  async function assertServerHealthy(): Promise<void> {
    const count = ingest.recorder.unitsOf(STEADY).length;
    await waitFor(() => ingest.recorder.unitsOf(STEADY).length > count + 10 || undefined, 5000, 'steady push still flowing');
    assert.equal(steady.child.exitCode, null, 'the concurrent ffmpeg is still running');
    const fresh = await client();
    await fresh.handshake();
    assert.ok((await fresh.connectAndCreateStream()) > 0);
    fresh.destroy();
  }

  before(async () => {
    ingest = await startTestIngest(startIngest, { RTMP_MAX_MESSAGE_BYTES: String(1 << 20) }, { handshakeTimeoutMs: 800 });
    steady = pushWithFfmpeg(`rtmp://127.0.0.1:${ingest.port}/live/${STEADY}`, { seconds: 60 });
    await waitFor(() => ingest.recorder.unitsOf(STEADY).length > 10 || undefined, 10_000, 'steady push started');
  });
  after(async () => {
    for (const c of clients) c.destroy();
    await killAll();
    await ingest.stop();
  });

  const CLOSING_CASES: [string, RegExp, (c: RawRtmpClient) => Promise<void>][] = [
    ['random bytes instead of a handshake', /RtmpHandshakeError: rtmp handshake: unsupported version byte/, async (c) => {
      c.write(Uint8Array.from([0x47, ...randomBytes(4000)]));
    }],
    ['truncated handshake (C0 + 100 bytes of C1) times out', /handshake\/connect timeout/, async (c) => {
      c.write(Uint8Array.from([3, ...new Uint8Array(100)]));
    }],
    ['garbage after the handshake', /RtmpChunkError/, async (c) => {
      await c.handshake();
      c.write(Uint8Array.from([0xc5, ...randomBytes(2000)]));
    }],
    ['Set Chunk Size 0x7FFFFFFF', /chunk size 2147483647 exceeds the limit/, async (c) => {
      await c.handshake();
      c.send(encodeProtocolControl({ type: 'set-chunk-size', chunkSize: 0x7fffffff }), 2);
    }],
    // Before an accepted publish the limit is RTMP_PREAUTH_MAX_MESSAGE_BYTES (64 KiB), not RTMP_MAX_MESSAGE_BYTES.
    ['message length 0xFFFFFF above the pre-publish limit', /message length 16777215 exceeds the limit of 65536/, async (c) => {
      await c.handshake();
      c.write(Uint8Array.of(0x03, 0, 0, 0, 0xff, 0xff, 0xff, 20, 0, 0, 0, 0, 1, 2, 3));
    }],
    ['malformed AMF0 in a command', /Amf0Error/, async (c) => {
      await c.handshake();
      c.send({ typeId: 20, streamId: 0, timestamp: 0, payload: Uint8Array.of(0x02, 0x00, 0x07, 0x63, 0x6f, 0x11, 0x07) });
    }],
    ['a command before connect', /SessionStateError: createStream is not allowed in state connecting/, async (c) => {
      await c.handshake();
      c.command('createStream', 2, null);
    }],
  ];

  for (const [name, logLine, attack] of CLOSING_CASES) {
    test(`${name}: that socket is closed with one log line`, async () => {
      const c = await client();
      const logsBefore = ingest.logs.length;
      await attack(c);
      assert.ok(await c.closedWithin(3000), 'server closed the connection');
      await waitFor(() => ingest.logs.slice(logsBefore).some((l) => logLine.test(l)) || undefined, 2000, `log line ${logLine}`);
      await assertServerHealthy();
    });
  }

  test('unknown command after connect gets _error and the connection stays open', async () => {
    const c = await client();
    await c.handshake();
    await c.connectAndCreateStream();
    c.command('fooBar', 7, null, ['x']);
    const reply = await c.waitForMessage((m) => m.typeId === 20 && decodeCommand(m).transactionId === 7, '_error');
    assert.equal(decodeCommand(reply).name, '_error');
    c.command('fooBaz', 0, null);
    assert.equal(await c.closedWithin(500), false);
    await assertServerHealthy();
  });

  test('play is refused with NetStream.Play.Failed, then closed', async () => {
    const c = await client();
    await c.handshake();
    const sid = await c.connectAndCreateStream();
    c.command('play', 0, null, [STEADY], sid);
    const status = await c.waitForMessage((m) => m.typeId === 20 && decodeCommand(m).name === 'onStatus', 'onStatus');
    assert.equal(amf0Property(decodeCommand(status).args[0], 'code'), 'NetStream.Play.Failed');
    assert.ok(await c.closedWithin(3000));
    await assertServerHealthy();
  });

  test('messages above 64 KiB pass only after an accepted publish, and RTMP_MAX_MESSAGE_BYTES applies then', async () => {
    const c = await client();
    await c.handshake();
    const sid = await c.connectAndCreateStream();
    c.command('publish', 5, null, ['big_after_publish', 'live'], sid);
    const status = await c.waitForMessage((m) => m.typeId === 20 && decodeCommand(m).name === 'onStatus', 'onStatus');
    assert.equal(amf0Property(decodeCommand(status).args[0], 'code'), 'NetStream.Publish.Start');
    // A 200 KB video message (above the pre-publish 64 KiB): accepted now.
    c.send({ typeId: 9, streamId: sid, timestamp: 0, payload: new Uint8Array(200_000).fill(0x27) });
    assert.equal(await c.closedWithin(500), false, 'a 200 KB message after publish is accepted');
    const logsBefore = ingest.logs.length;
    c.write(Uint8Array.of(0x06, 0, 0, 0, 0x20, 0, 0, 9, 1, 0, 0, 0));
    assert.ok(await c.closedWithin(3000));
    await waitFor(() => ingest.logs.slice(logsBefore).some((l) => /message length 2097152 exceeds the limit of 1048576/.test(l)) || undefined, 2000, 'limit log line');
  });

  test('publish with an invalid name is refused with NetStream.Publish.BadName, without logging it', async () => {
    const c = await client();
    await c.handshake();
    const sid = await c.connectAndCreateStream();
    c.command('publish', 5, null, ['bad.name*secret', 'live'], sid);
    const status = await c.waitForMessage((m) => m.typeId === 20 && decodeCommand(m).name === 'onStatus', 'onStatus');
    const info = decodeCommand(status).args[0];
    assert.equal(amf0Property(info, 'code'), 'NetStream.Publish.BadName');
    assert.equal(amf0Property(info, 'level'), 'error');
    assert.ok(await c.closedWithin(3000));
    assert.ok(!ingest.logs.some((l) => l.includes('secret')));
  });

  test('a C1 with a schema 1 digest gets the digest handshake: S1 digest and S2 signature verify', async () => {
    const c1 = new Uint8Array(HANDSHAKE_SIZE);
    c1.set(randomBytes(HANDSHAKE_SIZE - 8), 8);
    c1.set([10, 0, 45, 2], 4);
    imprintDigest(c1, 1, GENUINE_FP_KEY.subarray(0, GENUINE_FP_KEY_PUBLIC_LENGTH));
    const c = await client();
    const reply = await c.handshake(c1);
    const s1 = reply.subarray(1, 1 + HANDSHAKE_SIZE);
    const s2 = reply.subarray(1 + HANDSHAKE_SIZE);
    assert.equal(findDigest(s1, GENUINE_FMS_KEY.subarray(0, GENUINE_FMS_KEY_PUBLIC_LENGTH))?.schema, 1);
    const clientDigest = findDigest(c1, GENUINE_FP_KEY.subarray(0, GENUINE_FP_KEY_PUBLIC_LENGTH));
    assert.ok(clientDigest);
    assert.deepEqual(s2.subarray(HANDSHAKE_SIZE - 32), responseSignature(s2, clientDigest.digest, GENUINE_FMS_KEY));
    assert.ok((await c.connectAndCreateStream()) > 0);
    c.destroy();
  });

  test('Ping Request is answered; the peer window is acknowledged', async () => {
    const c = await client();
    await c.handshake();
    await c.connectAndCreateStream();
    c.send(encodeUserControl({ event: UserControlEvent.PingRequest, value: 1234 }), 2);
    const pong = await c.waitForMessage((m) => m.typeId === 4 && decodeUserControl(m).event === UserControlEvent.PingResponse, 'ping response');
    assert.equal(decodeUserControl(pong).value, 1234);
    c.send(encodeProtocolControl({ type: 'window-acknowledgement-size', windowSize: 4096 }), 2);
    for (let i = 0; i < 3; i++) c.send({ typeId: 8, streamId: 0, timestamp: i, payload: new Uint8Array(3000) }, 4);
    const ack = await c.waitForMessage((m) => m.typeId === 3, 'acknowledgement');
    const seq = decodeProtocolControl(ack);
    assert.ok(seq.type === 'acknowledgement' && seq.sequenceNumber >= 4096);
    c.destroy();
  });
});

describe('RTMP ingest: connection limits', () => {
  let ingest: TestIngest;
  const clients: RawRtmpClient[] = [];
  before(async () => {
    ingest = await startTestIngest(startIngest, { RTMP_MAX_CONNECTIONS: '2' }, { idleTimeoutMs: 700 });
  });
  /** Connects and completes the handshake, retrying while the server still counts closed sockets. */
  const acceptedClient = (): Promise<RawRtmpClient> => waitFor(async () => {
    const c = await RawRtmpClient.connect(ingest.port);
    clients.push(c);
    try {
      await c.handshake(undefined, 1000);
      return c;
    } catch (err) {
      c.destroy();
      assert.ok(err instanceof Error && /closed/.test(err.message), String(err));
      return undefined;
    }
  }, 3000, 'a connection accepted');
  after(async () => {
    for (const c of clients) c.destroy();
    await ingest.stop();
  });

  test('RTMP_MAX_CONNECTIONS refuses the connection over the limit, then accepts again', async () => {
    const a = await RawRtmpClient.connect(ingest.port);
    const b = await RawRtmpClient.connect(ingest.port);
    clients.push(a, b);
    await a.handshake();
    await b.handshake();
    const c = await RawRtmpClient.connect(ingest.port);
    clients.push(c);
    assert.ok(await c.closedWithin(2000), 'third connection closed');
    assert.ok(ingest.logs.some((l) => l.includes('too many connections')));
    a.destroy();
    await a.closed;
    const d = await acceptedClient();
    d.destroy();
    b.destroy();
    await Promise.all([b.closed, d.closed]);
  });

  test('an idle connection is closed after the idle timeout', async () => {
    const c = await acceptedClient();
    await c.connectAndCreateStream();
    assert.ok(await c.closedWithin(3000));
    assert.ok(ingest.logs.some((l) => l.includes('idle timeout')));
  });
});
