import { strict as assert } from 'node:assert';
import { RemoteInfo, Socket, createSocket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { FanoutResult, FanoutStop, UdpFanoutBinding, loadUdpFanout } from './index';

// Real sockets on loopback: the module's sendmmsg/GSO datagrams are read by node:dgram receivers.

const SLOTS = 4;

function receiver(): Promise<Socket> {
  const s = createSocket('udp4');
  return new Promise((resolve) => s.bind(0, '127.0.0.1', () => resolve(s)));
}

/** Collects `count` datagrams (or whatever arrived within 2 s). */
function collect(s: Socket, count: number): Promise<Array<{ msg: Buffer; rinfo: RemoteInfo }>> {
  return new Promise((resolve) => {
    const got: Array<{ msg: Buffer; rinfo: RemoteInfo }> = [];
    const timer = setTimeout(done, 2000);
    function done(): void {
      clearTimeout(timer);
      s.off('message', onMessage);
      resolve(got);
    }
    function onMessage(msg: Buffer, rinfo: RemoteInfo): void {
      got.push({ msg, rinfo });
      if (got.length === count) done();
    }
    s.on('message', onMessage);
  });
}

/** An RTP-like packet: `size` bytes, first byte `tag` so order and origin are visible. */
function packet(tag: number, size: number): Uint8Array {
  const p = new Uint8Array(size).fill(tag & 0xff);
  p[1] = size & 0xff;
  return p;
}

describe('native-udp sendFanout (sendmmsg, UDP GSO)', () => {
  const load = loadUdpFanout();
  let binding: UdpFanoutBinding;
  let fd = -1;
  let port = 0;
  let receivers: Socket[] = [];

  before(async () => {
    // The gateway works without the module, but on Linux with a compiler (CI) it must be built:
    // otherwise UDP fan-out silently loses its batching.
    assert.ok(load.binding, `native module not loaded: ${'reason' in load ? load.reason : ''}`);
    binding = load.binding;
    const probe = await receiver();
    port = probe.address().port;
    await new Promise<void>((r) => probe.close(() => r()));
    fd = binding.openSocket(4, '127.0.0.1', port);
    receivers = await Promise.all([receiver(), receiver(), receiver(), receiver()]);
  });

  after(async () => {
    if (fd >= 0) binding.closeSocket(fd);
    await Promise.all(receivers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  });

  /** Destinations: reader r gets slot 0 on receivers[2r], slot 1 on receivers[2r+1] (if `both`). */
  function destinations(readers: number, both: boolean[]): Uint8Array {
    const d = new Uint8Array(readers * SLOTS * binding.destinationBytes);
    for (let r = 0; r < readers; r++) {
      assert.ok(binding.writeAddress(4, '127.0.0.1', receivers[2 * r].address().port, d, (r * SLOTS) * binding.destinationBytes));
      if (both[r]) assert.ok(binding.writeAddress(4, '127.0.0.1', receivers[2 * r + 1].address().port, d, (r * SLOTS + 1) * binding.destinationBytes));
    }
    return d;
  }

  for (const gso of [false, true]) {
    it(`delivers every datagram whole, in order, to every reader's track ports, from the bound port${gso ? ' (GSO runs)' : ''}`, async () => {
      if (gso) assert.ok(binding.supportsGso(fd), 'kernel without UDP_SEGMENT');
      // Slot 0 (video): SPS, PPS, five equal FU-A fragments and a shorter last one (a GSO run);
      // slot 1 (audio) in between, then a single-NAL unit.
      const packets = [packet(1, 20), packet(2, 8), packet(3, 1200), packet(4, 1200), packet(5, 1200), packet(6, 1200), packet(7, 1200), packet(8, 700), packet(9, 300), packet(10, 1200), packet(11, 900)];
      const slots = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]);
      const video = packets.filter((_, i) => slots[i] === 0);
      const audio = packets.filter((_, i) => slots[i] === 1);
      const out = new Int32Array(binding.resultLength);
      const got = receivers.map((s, i) => collect(s, i === 3 ? 0 : i % 2 === 0 ? video.length : audio.length));
      // Reader 0: video + audio; reader 1: video only.
      binding.sendFanout(fd, packets, slots, destinations(2, [true, false]), SLOTS, 2, 0, gso, out);
      const [v0, a0, v1, a1] = await Promise.all(got);
      assert.equal(out[FanoutResult.Stop], FanoutStop.None);
      assert.equal(out[FanoutResult.Failed], 0);
      assert.equal(out[FanoutResult.Sent], video.length * 2 + audio.length);
      assert.equal(out[FanoutResult.Next], video.length * 2 + audio.length);
      // GSO groups each reader's runs of one slot and size (the last may be shorter): reader 0
      // sends SPS+PPS, the FU-A run, the audio frame, the P frame: 4; reader 1 the same but audio: 3.
      assert.equal(out[FanoutResult.Messages], gso ? 7 : video.length * 2 + audio.length, 'messages handed to the kernel');
      assert.deepEqual(v0.map((m) => [...m.msg]), video.map((p) => [...p]));
      assert.deepEqual(a0.map((m) => [...m.msg]), audio.map((p) => [...p]));
      assert.deepEqual(v1.map((m) => [...m.msg]), video.map((p) => [...p]));
      assert.equal(a1.length, 0, 'reader 1 set up no audio');
      for (const m of [...v0, ...a0, ...v1]) assert.equal(m.rinfo.port, port, 'sent from the shared RTP port');
    });
  }

  it('resumes at datagram `start`, even inside a GSO run', async () => {
    const packets = [packet(1, 1000), packet(2, 1000), packet(3, 1000), packet(4, 500)];
    const slots = new Uint8Array(4);
    const out = new Int32Array(binding.resultLength);
    const got = [collect(receivers[0], 2), collect(receivers[2], 4)];
    // Datagrams 0-3 to reader 0, 4-7 to reader 1: start at 2 (inside reader 0's run).
    binding.sendFanout(fd, packets, slots, destinations(2, [false, false]), SLOTS, 2, 2, true, out);
    const [r0, r1] = await Promise.all(got);
    assert.deepEqual(r0.map((m) => m.msg[0]), [3, 4]);
    assert.deepEqual(r1.map((m) => m.msg[0]), [1, 2, 3, 4]);
    assert.equal(out[FanoutResult.Sent], 6);
    assert.equal(out[FanoutResult.Next], 8);
    assert.equal(out[FanoutResult.Messages], 2, "the rest of reader 0's run, then reader 1's whole run");
  });

  it('writeAddress takes IP literals only, and maps IPv4 for an IPv6 socket', () => {
    const slot = new Uint8Array(binding.destinationBytes);
    assert.equal(binding.writeAddress(4, 'localhost', 5000, slot, 0), false);
    assert.equal(binding.writeAddress(4, '::1', 5000, slot, 0), false);
    assert.equal(binding.writeAddress(6, '127.0.0.1', 5000, slot, 0), true);
    // sockaddr_in6: port at 2-3 (network order), address at 8-23 = ::ffff:127.0.0.1
    assert.deepEqual([...slot.subarray(2, 4)], [0x13, 0x88]);
    assert.deepEqual([...slot.subarray(8, 24)], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1]);
    assert.throws(() => binding.writeAddress(4, '127.0.0.1', 0, slot, 0), TypeError);
    assert.throws(() => binding.writeAddress(4, '127.0.0.1', 5000, slot, 1), TypeError, 'slot past the end');
  });

  it('refuses malformed arguments with an exception and never sends out of bounds (property test)', () => {
    const out = new Int32Array(binding.resultLength);
    const d = destinations(1, [true]);
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const anything = (): unknown => [undefined, null, -1, 2 ** 31, 'x', {}, [], new Uint8Array(0), new Int32Array(2), [new Uint8Array(0)], [new Uint8Array(70000)], [1, 2]][rnd(12)];
    for (let i = 0; i < 500; i++) {
      const args: unknown[] = [fd, [packet(1, 10)], Uint8Array.of(0), d, SLOTS, 1, 0, false, out];
      const k = rnd(args.length);
      args[k] = anything();
      try {
        (binding.sendFanout as (...a: unknown[]) => void)(...args);
      } catch (err) {
        assert.ok(err instanceof TypeError || err instanceof RangeError, `argument ${k}: ${String(err)}`);
      }
    }
    // Slot out of range and destinations too short are refused, not read past.
    assert.throws(() => binding.sendFanout(fd, [packet(1, 10)], Uint8Array.of(SLOTS), d, SLOTS, 1, 0, false, out), TypeError);
    assert.throws(() => binding.sendFanout(fd, [packet(1, 10)], Uint8Array.of(0), d.subarray(1), SLOTS, 1, 0, false, out), RangeError);
    assert.throws(() => binding.sendFanout(fd, [packet(1, 10)], Uint8Array.of(0), d, SLOTS, 2, 0, false, out), RangeError);
    // One call takes at most binding.maxPackets; callers split (services/rtsp-egress UdpFanout).
    const many = Array.from({ length: binding.maxPackets + 1 }, () => packet(1, 10));
    assert.throws(() => binding.sendFanout(fd, many, new Uint8Array(many.length), d, SLOTS, 1, 0, false, out), RangeError);
  });

  it('openSocket refuses what it cannot bind', () => {
    assert.throws(() => binding.openSocket(4, 'not-an-ip', 0), TypeError);
    assert.throws(() => binding.openSocket(4, '127.0.0.1', 70000), TypeError);
  });
});
