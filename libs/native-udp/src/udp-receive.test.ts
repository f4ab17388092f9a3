import { strict as assert } from 'node:assert';
import { Socket, createSocket } from 'node:dgram';
import { describe, it } from 'node:test';
import { loadUdpFanout, sourceAddressBytes, startBatchedReceive } from './index';

// Real sockets on loopback: datagrams sent with node:dgram are read by the module's recvmmsg.

const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex');

function bound(type: 'udp4' | 'udp6' = 'udp4', host = '127.0.0.1'): Promise<Socket> {
  const s = createSocket(type);
  return new Promise((resolve) => s.bind(0, host, () => resolve(s)));
}

const until = async (cond: () => boolean, ms = 3000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
};

describe('sourceAddressBytes: senders as the module writes them (16 bytes, IPv4 v4-mapped)', () => {
  it('IPv4, v4-mapped IPv6 and IPv6 literals; anything else is undefined', () => {
    assert.equal(hex(sourceAddressBytes('127.0.0.1')), '00000000000000000000ffff7f000001');
    assert.equal(hex(sourceAddressBytes('::ffff:10.1.2.3')), '00000000000000000000ffff0a010203');
    assert.equal(hex(sourceAddressBytes('::1')), '00000000000000000000000000000001');
    assert.equal(hex(sourceAddressBytes('fe80::1:2')), 'fe800000000000000000000000010002');
    assert.equal(hex(sourceAddressBytes('2001:db8:0:0:1:0:0:1')), '20010db8000000000001000000000001');
    assert.equal(sourceAddressBytes('camera.local'), undefined);
  });
});

describe('startBatchedReceive (recvmmsg)', () => {
  it('the module is built here (npm run build compiles it; CI must exercise it)', () => {
    const load = loadUdpFanout();
    assert.ok(load.binding && typeof load.binding.receiverRead === 'function', `native module not loaded: ${'reason' in load ? load.reason : ''}`);
  });

  it('datagrams sent together arrive in few batches, whole and in order (a 9000-byte one too), from allowed senders only', async () => {
    const socket = await bound();
    const camera = await bound();
    const batches: string[][] = [];
    const r = startBatchedReceive(socket, ['127.0.0.1'], (datagrams) => batches.push(datagrams.map((d) => `${d[0]}:${d.byteLength}`)));
    assert.ok(r, 'the native receive path starts on a dgram socket');
    try {
      const sizes = Array.from({ length: 40 }, (_, i) => (i === 20 ? 9000 : 100 + i));
      sizes.forEach((size, i) => camera.send(new Uint8Array(size).fill(i), socket.address().port, '127.0.0.1'));
      await until(() => batches.flat().length >= sizes.length);
      assert.deepEqual(batches.flat(), sizes.map((size, i) => `${i}:${size}`));
      assert.ok(batches.length < sizes.length / 4, `${batches.length} callbacks for ${sizes.length} datagrams`);
      assert.equal(r.strays, 0);
    } finally {
      r?.stop();
      camera.close();
      socket.close();
    }
  });

  it('datagrams from a sender that is not the camera are counted and dropped', async () => {
    const socket = await bound();
    const stranger = await bound();
    const got: number[] = [];
    const told: number[] = [];
    const r = startBatchedReceive(socket, ['127.0.0.2', '::1'], (datagrams) => got.push(datagrams.length), { onStrays: (n) => told.push(n) });
    assert.ok(r);
    try {
      for (let i = 0; i < 5; i++) stranger.send(new Uint8Array(20), socket.address().port, '127.0.0.1');
      await until(() => r.strays === 5);
      assert.equal(r.strays, 5);
      assert.deepEqual(got, []);
      assert.equal(told.reduce((a, n) => a + n, 0), 5, 'every dropped datagram is told to the caller');
    } finally {
      r.stop();
      stranger.close();
      socket.close();
    }
  });

  it('IPv6: a ::1 sender is matched', async () => {
    const socket = await bound('udp6', '::1');
    const camera = await bound('udp6', '::1');
    let n = 0;
    const r = startBatchedReceive(socket, ['::1'], (datagrams) => (n += datagrams.length));
    assert.ok(r);
    try {
      for (let i = 0; i < 3; i++) camera.send(new Uint8Array(30), socket.address().port, '::1');
      await until(() => n === 3);
      assert.equal(n, 3);
    } finally {
      r.stop();
      camera.close();
      socket.close();
    }
  });

  it('after stop (or the socket closing) nothing more is delivered; stop twice is harmless', async () => {
    const socket = await bound();
    const camera = await bound();
    let n = 0;
    const r = startBatchedReceive(socket, ['127.0.0.1'], (datagrams) => (n += datagrams.length));
    assert.ok(r);
    camera.send(new Uint8Array(20), socket.address().port, '127.0.0.1');
    await until(() => n === 1);
    r.stop();
    r.stop();
    camera.send(new Uint8Array(20), socket.address().port, '127.0.0.1');
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(n, 1);
    camera.close();
    await new Promise<void>((res) => socket.close(() => res()));
  });

  it('STREAMGATE_NATIVE_UDP=off keeps node:dgram (undefined: the caller listens for messages)', async () => {
    const socket = await bound();
    try {
      assert.equal(startBatchedReceive(socket, ['127.0.0.1'], () => undefined, { env: { STREAMGATE_NATIVE_UDP: 'off' } }), undefined);
    } finally {
      socket.close();
    }
  });
});
