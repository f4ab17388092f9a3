/**
 * RtspClientConnection over plain TCP reads into one buffer shared by every connection of the
 * process (SHARED_READ_BUFFER): a read of another connection overwrites it. These tests make
 * exactly that happen between a read and the use of what it carried, and check nothing kept a
 * view into it: a response body resolved to the caller, a response and an interleaved frame
 * split across two reads (the reader's partial item).
 */
import { strict as assert } from 'node:assert';
import { AddressInfo, Server, Socket, createServer } from 'node:net';
import { after, describe, it } from 'node:test';
import { ReadTurn } from '@streamgate/platform';
import { ClientAuthenticator, InterleavedFrame } from '@streamgate/protocol-rtsp';
import { spawnTracked } from '@streamgate/testing';
import { RtspClientConnection } from './rtsp-client-connection';

interface Camera {
  server: Server;
  port: number;
  /** The camera's end of the one connection, once accepted. */
  peer: Promise<Socket>;
}

const servers: Server[] = [];
const connections: RtspClientConnection[] = [];

async function camera(): Promise<Camera> {
  const server = createServer();
  servers.push(server);
  const peer = new Promise<Socket>((resolve) => server.once('connection', resolve));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, peer };
}

async function connectTo(port: number, readTurn?: ReadTurn): Promise<RtspClientConnection> {
  const conn = await RtspClientConnection.open({
    host: '127.0.0.1', port, auth: new ClientAuthenticator(undefined, () => 'cnonce'), timeoutMs: 5000, userAgent: 'test', readTurn,
  });
  connections.push(conn);
  return conn;
}

async function open(cam: Camera, onInterleaved: (frames: InterleavedFrame[]) => void = () => undefined): Promise<{ conn: RtspClientConnection; peer: Socket }> {
  const conn = await connectTo(cam.port);
  conn.attach({ onInterleaved, onClosed: () => undefined });
  return { conn, peer: await cam.peer };
}

/** The CSeq of the next request the camera reads (one request in flight at a time). */
function nextCseq(peer: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error('no request within 5 s')), 5000);
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      const m = /\r\nCSeq: *(\d+)\r\n[\s\S]*\r\n\r\n/i.exec(text);
      if (!m) return;
      clearTimeout(timer);
      peer.off('data', onData);
      resolve(m[1]);
    };
    peer.on('data', onData);
  });
}

function response(cseq: string, body: string): string {
  return `RTSP/1.0 200 OK\r\nCSeq: ${cseq}\r\nContent-Type: application/sdp\r\nContent-Length: ${Buffer.byteLength(body, 'latin1')}\r\n\r\n${body}`;
}

function write(peer: Socket, data: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => peer.write(data, (err) => (err ? reject(err) : resolve())));
}

/** Enough event-loop polls for a written loopback segment to have been read by the client. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));

/**
 * Another connection reads a long answer: the shared buffer now holds its bytes (`z` from its
 * start well past anything the other tests keep).
 */
async function overwriteSharedBuffer(): Promise<void> {
  const cam = await camera();
  const { conn, peer } = await open(cam);
  const asked = conn.request('OPTIONS', `rtsp://127.0.0.1:${cam.port}/`);
  await write(peer, response(await nextCseq(peer), 'z'.repeat(8000)));
  const res = await asked;
  assert.equal(res.body.byteLength, 8000);
}

const SDP = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=shared read buffer', 'c=IN IP4 0.0.0.0', 't=0 0',
  'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000', 'a=control:trackID=0'].join('\r\n') + '\r\n';

describe('RtspClientConnection: the shared read buffer', { timeout: 30_000 }, () => {
  after(async () => {
    for (const c of connections) c.close();
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  });

  it('a response body resolved to the caller stays intact after another connection reads', async () => {
    const cam = await camera();
    const { conn, peer } = await open(cam);
    const asked = conn.request('DESCRIBE', `rtsp://127.0.0.1:${cam.port}/`);
    await write(peer, response(await nextCseq(peer), SDP));
    const res = await asked;
    await overwriteSharedBuffer();
    assert.equal(Buffer.from(res.body).toString('latin1'), SDP);
  });

  it('a response split across two reads, with another connection reading in between, comes out whole', async () => {
    const cam = await camera();
    const { conn, peer } = await open(cam);
    const asked = conn.request('DESCRIBE', `rtsp://127.0.0.1:${cam.port}/`);
    const whole = Buffer.from(response(await nextCseq(peer), SDP), 'latin1');
    const cut = whole.byteLength - 40; // the head and most of the body first
    await write(peer, whole.subarray(0, cut));
    await settle();
    await overwriteSharedBuffer();
    await write(peer, whole.subarray(cut));
    const res = await asked;
    assert.equal(res.statusCode, 200);
    assert.equal(Buffer.from(res.body).toString('latin1'), SDP);
  });

  it('an interleaved frame split across two reads, with another connection reading in between, comes out whole', async () => {
    const cam = await camera();
    const payloads: Buffer[] = [];
    const { peer } = await open(cam, (frames) => {
      // Views into the read: compared (copied) during the callback, as the contract says.
      for (const f of frames) payloads.push(Buffer.from(f.payload));
    });
    const payload = Buffer.alloc(1200);
    for (let i = 0; i < payload.byteLength; i++) payload[i] = (i * 7 + 3) & 0xff;
    const frame = Buffer.concat([Buffer.from([0x24, 2, payload.byteLength >> 8, payload.byteLength & 0xff]), payload]);
    await write(peer, frame.subarray(0, 700));
    await settle();
    await overwriteSharedBuffer();
    await write(peer, frame.subarray(700));
    const deadline = Date.now() + 5000;
    while (payloads.length === 0 && Date.now() < deadline) await settle();
    assert.equal(payloads.length, 1);
    assert.ok(payloads[0].equals(payload), 'the frame payload is the bytes the camera sent');
  });
});

/**
 * Cameras in another process, each sending interleaved frames as fast as TCP takes them: a
 * 1400-byte payload that starts with a u32 counter per connection. Prints its ports as JSON.
 */
const FLOODERS = `
const net = require('node:net');
const n = Number(process.argv[1]);
const FRAMES = 46, PAYLOAD = 1400, SIZE = 4 + PAYLOAD;
const ports = [];
for (let i = 0; i < n; i++) {
  const server = net.createServer((sock) => {
    let seq = 0;
    sock.on('error', () => undefined);
    const pump = () => {
      for (;;) {
        const chunk = Buffer.alloc(FRAMES * SIZE);
        for (let f = 0; f < FRAMES; f++) {
          chunk[f * SIZE] = 0x24;
          chunk.writeUInt16BE(PAYLOAD, f * SIZE + 2);
          chunk.writeUInt32BE(seq++ >>> 0, f * SIZE + 4);
        }
        if (!sock.write(chunk)) return void sock.once('drain', pump);
      }
    };
    pump();
  });
  server.listen(0, '127.0.0.1', () => {
    ports.push(server.address().port);
    if (ports.length === n) console.log(JSON.stringify(ports));
  });
}
`;

describe('RtspClientConnection: a fleet that sends more than the process can handle', { timeout: 60_000 }, () => {
  it('the event loop keeps turning (timers fire, other work runs), every connection advances, nothing is lost or reordered', async (t) => {
    const CAMERAS = 16;
    const BUSY_MS = 10;
    const flooders = spawnTracked(process.execPath, ['-e', FLOODERS, String(CAMERAS)]);
    try {
      const ports = await new Promise<number[]>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`flooders not ready: ${flooders.stderr()}`)), 10_000);
        const poll = setInterval(() => {
          const line = flooders.stdout().split('\n').find((l) => l.startsWith('['));
          if (!line) return;
          clearInterval(poll);
          clearTimeout(timer);
          resolve(JSON.parse(line) as number[]);
        }, 20);
      });
      const turn = new ReadTurn(10);
      const received = ports.map(() => 0);
      const disorder: string[] = [];
      for (const [i, port] of ports.entries()) {
        const conn = await connectTo(port, turn);
        conn.attach({
          onInterleaved: (frames) => {
            for (const f of frames) {
              const seq = Buffer.from(f.payload.buffer, f.payload.byteOffset, 4).readUInt32BE(0);
              if (seq !== received[i] && disorder.length < 5) disorder.push(`camera ${i}: frame ${seq} where ${received[i]} was due`);
              received[i] = seq + 1;
            }
            // Parsing and publishing a read is costly: here, 10 ms of it per read (more than the cameras allow).
            const until = performance.now() + BUSY_MS;
            while (performance.now() < until);
          },
          onClosed: () => undefined,
        });
      }
      // The loop's pulse. Without the turn budget one poll pass served many reads per camera:
      // 336 ms between ticks (and 748 to 1652 frames per camera), against 13 ms with it.
      let last = performance.now();
      let worst = 0;
      const pulse = setInterval(() => {
        const now = performance.now();
        worst = Math.max(worst, now - last);
        last = now;
      }, 10);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      clearInterval(pulse);
      for (const c of connections.splice(0)) c.close();
      assert.deepEqual(disorder, [], 'frames lost or out of order');
      assert.ok(worst < 150, `the loop stalled ${worst.toFixed(0)} ms between timer ticks`);
      const mean = received.reduce((a, b) => a + b, 0) / received.length;
      for (const [i, n] of received.entries()) assert.ok(n > mean / 2, `camera ${i} got ${n} frames against a mean of ${mean.toFixed(0)}`);
      t.diagnostic(`longest gap between 10 ms ticks ${worst.toFixed(1)} ms; frames per camera ${Math.min(...received)}–${Math.max(...received)}`);
    } finally {
      await flooders.kill();
    }
  });
});
