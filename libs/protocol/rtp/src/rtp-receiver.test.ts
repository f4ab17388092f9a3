import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { serializeRtpPacket } from './packet/rtp-packet';
import { rtpSequenceNumber, rtpSsrc } from './packet/rtp-fields';
import { RtpReceiver } from './rtp-receiver';

const pkt = (seq: number, ssrc = 1): Uint8Array => serializeRtpPacket({
  header: { marker: false, payloadType: 96, sequenceNumber: seq & 0xffff, timestamp: seq * 3600, ssrc, csrc: [], padding: false },
  payload: new Uint8Array([1, 2, 3]),
});

interface Batch {
  seqs: number[];
  ssrcs: number[];
  receivedAt: number;
  newSource: boolean;
}

function receiver(): { r: RtpReceiver; batches: Batch[] } {
  const batches: Batch[] = [];
  const r = new RtpReceiver({ clockRate: 90000, maxDelayMs: 100 }, (packets, receivedAt, newSource) => {
    batches.push({ seqs: packets.map(rtpSequenceNumber), ssrcs: packets.map(rtpSsrc), receivedAt, newSource });
  });
  return { r, batches };
}

/** One read of `packets` at `at`, then handed on (as a TCP read or a UDP poll pass ends). */
function read(r: RtpReceiver, packets: readonly Uint8Array[], at: number): void {
  for (const p of packets) r.receive(p, at);
  r.flush();
}

describe('RtpReceiver: one receiver per RTP track (order, statistics, batches)', () => {
  test('a read in order is one batch; the first one begins the source', () => {
    const { r, batches } = receiver();
    read(r, [pkt(10), pkt(11), pkt(12)], 1000);
    read(r, [pkt(13)], 1040);
    assert.deepEqual(batches, [
      { seqs: [10, 11, 12], ssrcs: [1, 1, 1], receivedAt: 1000, newSource: true },
      { seqs: [13], ssrcs: [1], receivedAt: 1040, newSource: false },
    ]);
    assert.equal(r.stats.packetsReceived, 4);
    assert.equal(r.pending, false);
  });

  test('reordered and duplicated packets of a read come out once, in order; the gap waits for its packet', () => {
    const { r, batches } = receiver();
    read(r, [pkt(1), pkt(3), pkt(3), pkt(4)], 0);
    read(r, [pkt(2), pkt(5)], 20);
    assert.deepEqual(batches.map((b) => b.seqs), [[1], [2, 3, 4, 5]]);
    assert.equal(batches[1].receivedAt, 20, 'a batch is stamped with the arrival of its first packet');
    assert.equal(r.reorder.counters.duplicates, 1);
    assert.equal(r.stats.packetsLost, 0);
  });

  test('a lost packet is given up when time moves on (expire), and counted lost', () => {
    const { r, batches } = receiver();
    read(r, [pkt(1), pkt(3)], 0);
    r.expire(50);
    r.flush();
    assert.deepEqual(batches.map((b) => b.seqs), [[1]]);
    r.expire(100);
    r.flush();
    assert.deepEqual(batches.map((b) => b.seqs), [[1], [3]]);
    assert.equal(batches[1].receivedAt, 0, 'stamped with its own arrival');
    assert.equal(r.stats.packetsLost, 1);
  });

  test('an SSRC change inside one read splits the batch: the new source begins its own, flagged', () => {
    const { r, batches } = receiver();
    read(r, [pkt(100), pkt(101)], 0);
    read(r, [pkt(102), pkt(7, 2), pkt(8, 2), pkt(9, 2)], 40);
    assert.deepEqual(batches.map((b) => [b.seqs, b.newSource]), [[[100, 101], true], [[102], false], [[7, 8, 9], true]]);
    assert.deepEqual(batches[2].ssrcs, [2, 2, 2]);
    assert.equal(r.stats.ssrc, 2);
    assert.equal(r.reorder.counters.resyncs, 1);
  });

  test('what is not RTP (short, version 0) is refused and kept nowhere', () => {
    const { r, batches } = receiver();
    assert.equal(r.receive(new Uint8Array(11).fill(0x80), 0), false);
    assert.equal(r.receive(new Uint8Array(20), 0), false);
    assert.equal(r.receive(pkt(1), 0), true);
    r.flush();
    assert.deepEqual(batches.map((b) => b.seqs), [[1]]);
    assert.equal(r.stats.packetsReceived, 1);
  });

  test('property: any arrival order within the window gives every packet from the first arrival on once, in order, nothing lost; only the first batch begins a source', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffff }), fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 120 }), fc.nat({ max: 6 }), (start, jitter, readSize) => {
      const { r, batches } = receiver();
      const seqs = jitter.map((_, i) => (start + i) & 0xffff);
      // Each packet moves back by up to 3 places: reordering within the window.
      const order = seqs.map((s, i) => ({ s, key: i - jitter[i] - 0.5 * (i % 2) })).sort((a, b) => a.key - b.key).map((x) => x.s);
      const size = readSize + 1;
      for (let i = 0; i < order.length; i += size) read(r, order.slice(i, i + size).map((s) => pkt(s)), i);
      r.reorder.flush();
      r.flush();
      const out = batches.flatMap((b) => b.seqs);
      // The first arrival begins the source; what was sent before it arrives late and is dropped.
      assert.equal(out[0], order[0]);
      assert.deepEqual(out, seqs.slice(seqs.indexOf(order[0])));
      assert.equal(r.reorder.counters.late, seqs.indexOf(order[0]));
      assert.ok(batches.every((b, i) => b.newSource === (i === 0)));
      assert.equal(r.stats.packetsLost, 0);
    }), { seed: 3550, numRuns: 300 });
  });
});
