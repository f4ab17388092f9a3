import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { serializeRtpPacket } from './packet/rtp-packet';
import { rtpSequenceNumber, rtpSsrc } from './packet/rtp-fields';
import { ReorderBuffer, ReorderBufferOptions } from './reorder-buffer';
import { looksLikeRtp } from './rtp-receiver';
import { seqAdd } from './sequence';
import { applyDamage, damageArbitrary, hexToBytes, PacketFixture } from '@streamgate/protocol-rtp/testing';

// dist/libs/protocol/rtp/src → repository root
const FIXTURES = join(__dirname, '../../../../../libs/protocol/rtp/fixtures');
const load = (name: string): Uint8Array[] => (JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as PacketFixture).packets.map(hexToBytes);
const TABLES = ['h264-ffmpeg-fua.json', 'h264-gst-stapa.json', 'h265-ffmpeg-fu.json', 'h265-gst-ap.json', 'aac-ffmpeg-fragmented.json', 'aac-gst-mp4gpay.json'];

const pkt = (seq: number, ts = 0, ssrc = 1): Uint8Array => serializeRtpPacket({
  header: { marker: false, payloadType: 96, sequenceNumber: seq & 0xffff, timestamp: ts, ssrc, csrc: [], padding: false },
  payload: new Uint8Array([seq & 0xff]),
});

interface Released {
  packet: Uint8Array;
  arrivalMs: number;
  newSource: boolean;
}

/** A buffer whose released packets are collected; `take()` returns those since the last take. */
class Collecting {
  readonly buffer: ReorderBuffer;
  private out: Released[] = [];
  constructor(options: ReorderBufferOptions) {
    this.buffer = new ReorderBuffer(options, { ordered: (packet, arrivalMs, newSource) => this.out.push({ packet, arrivalMs, newSource }) });
  }

  push(packet: Uint8Array, arrivalMs: number): Released[] {
    this.buffer.push(packet, arrivalMs);
    return this.take();
  }

  expire(nowMs: number): Released[] {
    this.buffer.expire(nowMs);
    return this.take();
  }

  flush(): Released[] {
    this.buffer.flush();
    return this.take();
  }

  get stats(): ReorderBuffer['stats'] {
    return this.buffer.stats;
  }

  get counters(): ReorderBuffer['counters'] {
    return this.buffer.counters;
  }

  get heldPackets(): number {
    return this.buffer.heldPackets;
  }

  take(): Released[] {
    const out = this.out;
    this.out = [];
    return out;
  }
}

const seqs = (out: readonly Released[]): number[] => out.map((o) => rtpSequenceNumber(o.packet));

function feed(c: Collecting, packets: readonly Uint8Array[], arrival = (i: number): number => i): Released[] {
  const out: Released[] = [];
  packets.forEach((p, i) => out.push(...c.push(p, arrival(i))));
  return out;
}

describe('ReorderBuffer with the captured tables', () => {
  for (const name of TABLES) {
    test(`${name}: in order, passed through at once, nothing lost`, () => {
      const packets = load(name);
      const b = new Collecting({ clockRate: 90000 });
      packets.forEach((p, i) => {
        const out = b.push(p, i * 10);
        assert.equal(out.length, 1);
        assert.equal(out[0].packet, p);
        assert.equal(out[0].newSource, i === 0);
      });
      assert.equal(b.stats.packetsLost, 0);
      assert.equal(b.stats.expected, packets.length);
    });
  }

  test('reordered neighbours come out in sequence order (gst table wraps 65535 → 0)', () => {
    const packets = load('h264-gst-stapa.json');
    const shuffled = [...packets];
    for (let i = 1; i + 1 < shuffled.length; i += 3) [shuffled[i], shuffled[i + 1]] = [shuffled[i + 1], shuffled[i]];
    const b = new Collecting({ clockRate: 90000 });
    const out = feed(b, shuffled);
    assert.deepEqual(seqs(out), packets.map(rtpSequenceNumber));
    assert.equal(b.stats.packetsLost, 0);
    assert.equal(b.heldPackets, 0);
  });
});

describe('ReorderBuffer symptoms', () => {
  test('sequence wrap 65534 → 1 is continuous', () => {
    const b = new Collecting({ clockRate: 90000 });
    assert.deepEqual(seqs(feed(b, [65534, 65535, 0, 1].map((s) => pkt(s)))), [65534, 65535, 0, 1]);
    assert.equal(b.stats.expected, 4);
  });

  test('duplicates are dropped, held or already released', () => {
    const b = new Collecting({ clockRate: 90000 });
    const out = feed(b, [pkt(10), pkt(10), pkt(12), pkt(12), pkt(11), pkt(11)]);
    assert.deepEqual(seqs(out), [10, 11, 12]);
    assert.equal(b.counters.duplicates, 3);
    assert.equal(b.stats.packetsLost, 0);
  });

  test('a lost packet is given up after maxDelayMs and counted lost; its late arrival is dropped', () => {
    const b = new Collecting({ clockRate: 90000, maxDelayMs: 100 });
    assert.deepEqual(seqs(b.push(pkt(1), 0)), [1]);
    assert.deepEqual(seqs(b.push(pkt(3), 10)), []);
    assert.deepEqual(seqs(b.push(pkt(4), 50)), []);
    assert.deepEqual(seqs(b.push(pkt(5), 110)), [3, 4, 5]);
    assert.equal(b.stats.packetsLost, 1);
    assert.deepEqual(seqs(b.push(pkt(2), 120)), []);
    assert.equal(b.counters.late, 1);
  });

  test('expire() gives up a gap when input is quiet', () => {
    const b = new Collecting({ clockRate: 90000, maxDelayMs: 100 });
    b.push(pkt(1), 0);
    b.push(pkt(3), 0);
    assert.deepEqual(seqs(b.expire(50)), []);
    assert.deepEqual(seqs(b.expire(100)), [3]);
  });

  test('a full window releases past the gap (burst loss)', () => {
    const b = new Collecting({ clockRate: 90000, maxPackets: 4, maxDelayMs: 1e9 });
    b.push(pkt(1), 0);
    const out = feed(b, [3, 4, 5, 6].map((s) => pkt(s)), () => 0);
    assert.deepEqual(seqs(out), [3, 4, 5, 6]);
    assert.equal(b.stats.packetsLost, 1);
  });

  test('a jump beyond the window flushes what is held and continues', () => {
    const b = new Collecting({ clockRate: 90000, maxPackets: 8, maxDelayMs: 1e9 });
    const out = feed(b, [1, 3, 4, 200, 201].map((s) => pkt(s)), () => 0);
    assert.deepEqual(seqs(out), [1, 3, 4, 200, 201]);
    assert.equal(b.stats.packetsLost, 196);
    assert.ok(out.every((o, i) => o.newSource === (i === 0)));
  });

  test('SSRC change: a new source after two packets in sequence, flagged newSource, held packets first', () => {
    const b = new Collecting({ clockRate: 90000, maxDelayMs: 1e9 });
    const out = feed(b, [pkt(100, 0, 1), pkt(102, 0, 1), pkt(7, 0, 2), pkt(8, 0, 2), pkt(9, 0, 2)]);
    assert.deepEqual(out.map((o) => [rtpSsrc(o.packet), rtpSequenceNumber(o.packet), o.newSource]), [
      [1, 100, true], [1, 102, false], [2, 7, true], [2, 8, false], [2, 9, false],
    ]);
    assert.equal(b.counters.resyncs, 1);
    assert.equal(b.stats.packetsLost, 1);
  });

  test('one stray packet with another SSRC does not disturb the stream', () => {
    const b = new Collecting({ clockRate: 90000 });
    const out = feed(b, [pkt(1), pkt(2), pkt(5000, 0, 99), pkt(3), pkt(4)]);
    assert.deepEqual(seqs(out), [1, 2, 3, 4]);
    assert.equal(b.counters.resyncs, 0);
    b.flush();
    assert.equal(b.counters.discarded, 1);
  });

  test('sequence reset on the same SSRC (camera restart) re-syncs after probation', () => {
    const b = new Collecting({ clockRate: 90000 });
    const out = feed(b, [pkt(40000), pkt(40001), pkt(5), pkt(6), pkt(7)]);
    assert.deepEqual(out.map((o) => [rtpSequenceNumber(o.packet), o.newSource]), [[40000, true], [40001, false], [5, true], [6, false], [7, false]]);
    assert.equal(b.counters.resyncs, 1);
    assert.equal(b.stats.packetsLost, 0);
  });

  test('interarrival jitter (RFC 3550 A.8): zero for a steady sender, grows with arrival noise', () => {
    const steady = new Collecting({ clockRate: 90000 });
    for (let i = 0; i < 100; i++) steady.push(pkt(i, i * 3600), i * 40);
    assert.equal(steady.stats.jitterSeconds, 0);
    const noisy = new Collecting({ clockRate: 90000 });
    for (let i = 0; i < 500; i++) noisy.push(pkt(i, i * 3600), i * 40 + (i % 2) * 10);
    // |D| = 10 ms every packet: J converges to 10 ms.
    assert.ok(Math.abs(noisy.stats.jitterSeconds - 0.01) < 1e-3, String(noisy.stats.jitterSeconds));
  });

  test('never mutates its input', () => {
    const bytes = load('h264-ffmpeg-fua.json');
    const copies = bytes.map((p) => p.slice());
    const b = new Collecting({ clockRate: 90000 });
    feed(b, [...bytes].reverse());
    b.flush();
    assert.deepEqual(bytes, copies);
  });
});

describe('ReorderBuffer properties (seeded from the captured tables)', () => {
  const tables = TABLES.map(load);
  test('damaged streams: bounded, every released packet once, in order within a source', () => {
    fc.assert(fc.property(fc.nat({ max: tables.length - 1 }), damageArbitrary(20), fc.nat({ max: 65535 }), (t, damage, shift) => {
      const b = new Collecting({ clockRate: 90000, maxPackets: 8, maxDelayMs: 30 });
      const out: Released[] = [];
      applyDamage(tables[t], damage).forEach((bytes, i) => {
        // As a receiver hands packets on: only what looks like RTP, here with its sequence shifted.
        if (!looksLikeRtp(bytes)) return;
        const p = bytes.slice();
        const seq = seqAdd(rtpSequenceNumber(p), shift);
        p[2] = seq >> 8;
        p[3] = seq & 0xff;
        out.push(...b.push(p, i * 7));
        assert.ok(b.heldPackets <= 8 + 2);
      });
      out.push(...b.flush());
      assert.equal(b.heldPackets, 0);
      const seen = new Set<string>();
      for (const o of out) {
        const key = `${rtpSsrc(o.packet)}/${rtpSequenceNumber(o.packet)}/${b.counters.resyncs}`;
        assert.ok(!seen.has(key) || b.counters.resyncs > 0, `released twice: ${key}`);
        seen.add(key);
      }
      assert.ok(b.stats.packetsLost >= 0);
    }), { seed: 3550, numRuns: 500 });
  });

  test('random packets never throw and stay bounded', () => {
    fc.assert(fc.property(fc.array(fc.record({ seq: fc.nat({ max: 65535 }), ssrc: fc.nat({ max: 3 }), at: fc.nat({ max: 1000 }) }), { maxLength: 200 }), (list) => {
      const b = new Collecting({ clockRate: 8000 });
      for (const x of list) {
        b.push(pkt(x.seq, x.seq * 160, x.ssrc), x.at);
        assert.ok(b.heldPackets <= 32 + 2);
      }
    }), { seed: 1, numRuns: 300 });
  });
});

describe('ReorderBuffer retain (packets that are views into a reused buffer)', () => {
  test('a held packet is kept through `retain`; one released at once is not', () => {
    const kept: number[] = [];
    const out: Uint8Array[] = [];
    const b = new ReorderBuffer({ clockRate: 90000, retain: (p) => {
      kept.push(rtpSequenceNumber(p));
      return p.slice();
    } }, { ordered: (p) => out.push(p) });
    const reused = new Uint8Array(64);
    const arrive = (seq: number): void => {
      const p = pkt(seq);
      reused.set(p);
      b.push(reused.subarray(0, p.byteLength), 0);
      // The caller's buffer is reused for the next read: copy what was released now.
      for (let i = 0; i < out.length; i++) if (out[i].buffer === reused.buffer) out[i] = out[i].slice();
    };
    [1, 3, 2].forEach(arrive);
    assert.deepEqual(kept, [3], 'only the packet held for the gap');
    assert.deepEqual(out.map(rtpSequenceNumber), [1, 2, 3]);
  });
});
