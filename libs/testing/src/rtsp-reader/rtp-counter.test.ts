import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RtpCounter } from './rtp-counter';

function head(seq: number, ssrc = 0x11223344): Buffer {
  const b = Buffer.alloc(12);
  b[0] = 0x80;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(ssrc, 8);
  return b;
}

describe('RtpCounter', () => {
  const cases: { name: string; seqs: number[]; lost: number; late: number }[] = [
    { name: 'in order', seqs: [10, 11, 12], lost: 0, late: 0 },
    { name: 'gap of two', seqs: [10, 13, 14], lost: 2, late: 0 },
    { name: 'across the 16-bit wrap', seqs: [65534, 65535, 0, 1], lost: 0, late: 0 },
    { name: 'gap across the wrap', seqs: [65535, 2], lost: 2, late: 0 },
    { name: 'duplicate', seqs: [5, 6, 6, 7], lost: 0, late: 1 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const counter = new RtpCounter();
      for (const s of c.seqs) counter.onPacket(head(s), 100, 1);
      const st = counter.stats();
      assert.equal(st.packets, c.seqs.length);
      assert.equal(st.lost, c.lost);
      assert.equal(st.late, c.late);
    });
  }

  it('restarts sequence tracking when the SSRC changes', () => {
    const counter = new RtpCounter();
    counter.onPacket(head(100, 1), 10, 1);
    counter.onPacket(head(5000, 2), 10, 2);
    assert.equal(counter.stats().lost, 0);
    assert.equal(counter.stats().ssrcChanges, 1);
  });
});
