import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ReceptionStats } from './reception-stats';

describe('ReceptionStats (RFC 3550 A.1, A.3, A.8)', () => {
  const CLOCK = 90000;
  it('counts a clean stream: no loss, extended sequence across the wrap', () => {
    const s = new ReceptionStats(CLOCK);
    for (let i = 0; i < 10; i++) s.receive(7, (65530 + i) & 0xffff, i * 3600, i * 40);
    const block = s.reportBlock(400);
    assert.ok(block);
    assert.equal(block.cumulativeLost, 0);
    assert.equal(block.fractionLost, 0);
    assert.equal(block.extendedHighestSequence, 0x10000 + 3);
    assert.equal(s.packetsLost, 0);
  });

  it('counts losses and the fraction lost per interval', () => {
    const s = new ReceptionStats(CLOCK);
    // 101..201: every 4th (104…200) lost, 25 of 101 expected.
    for (let seq = 101; seq <= 201; seq++) if (seq % 4 !== 0) s.receive(7, seq, seq * 3600, seq * 40);
    const first = s.reportBlock(10_000);
    assert.ok(first);
    assert.equal(first.cumulativeLost, 25);
    assert.equal(first.fractionLost, Math.floor((25 * 256) / 101));
    for (let seq = 202; seq <= 300; seq++) s.receive(7, seq, seq * 3600, seq * 40);
    const second = s.reportBlock(20_000);
    assert.equal(second?.fractionLost, 0);
    assert.equal(second?.cumulativeLost, 25);
  });

  it('counts a duplicate as received and ignores one wild sequence number', () => {
    const s = new ReceptionStats(CLOCK);
    for (const seq of [1, 2, 3, 3, 40000, 4, 5]) s.receive(7, seq, seq * 3600, seq * 40);
    assert.equal(s.reportBlock(0)?.extendedHighestSequence, 5);
  });

  it('restarts on two sequential packets after a jump (sender restart)', () => {
    const s = new ReceptionStats(CLOCK);
    for (const seq of [1, 2, 3, 40000, 40001, 40002]) s.receive(7, seq, seq * 3600, seq * 40);
    assert.equal(s.reportBlock(0)?.extendedHighestSequence, 40002);
    assert.equal(s.packetsLost, 0);
  });

  it('jitter is zero for perfectly paced packets and grows with arrival noise', () => {
    const paced = new ReceptionStats(CLOCK);
    for (let i = 0; i < 50; i++) paced.receive(7, i, i * 3600, i * 40);
    assert.equal(paced.jitterSeconds, 0);
    const noisy = new ReceptionStats(CLOCK);
    for (let i = 0; i < 200; i++) noisy.receive(7, i, i * 3600, i * 40 + (i % 2 === 0 ? 0 : 10));
    // |D| = 10 ms every packet: J converges to 10 ms (A.8 with gain 1/16).
    assert.ok(Math.abs(noisy.jitterSeconds - 0.01) < 0.0005, String(noisy.jitterSeconds));
  });

  it('fills LSR/DLSR from the last sender report (RFC 3550 §6.4.1)', () => {
    const s = new ReceptionStats(CLOCK);
    s.receive(7, 1, 0, 0);
    s.senderReport(7, 0x12345678, 1000);
    const block = s.reportBlock(1500);
    assert.equal(block?.lastSenderReport, 0x12345678);
    assert.equal(block?.delaySinceLastSenderReport, 32768);
  });

  it('a new SSRC starts new statistics and keeps earlier losses', () => {
    const s = new ReceptionStats(CLOCK);
    for (const seq of [1, 2, 5]) s.receive(7, seq, 0, 0);
    s.receive(8, 1000, 0, 0);
    assert.equal(s.ssrc, 8);
    assert.equal(s.packetsLost, 2);
  });
});

describe('ReceptionStats: the two ways in agree', () => {
  it('receive (A.1 on raw arrivals) and startSource + record (ordered) count the same for an in-order stream with gaps', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffff }), fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 2, maxLength: 300 }), (start, steps) => {
      const raw = new ReceptionStats(90000);
      const ordered = new ReceptionStats(90000);
      let seq = start;
      ordered.startSource(seq, 7);
      steps.forEach((step, i) => {
        raw.receive(7, seq, i * 3600, i * 40);
        ordered.record(seq, i * 3600, i * 40);
        seq = (seq + step) & 0xffff;
      });
      assert.equal(raw.packetsLost, ordered.packetsLost);
      assert.equal(raw.expected, ordered.expected);
      assert.deepEqual(raw.reportBlock(0), ordered.reportBlock(0));
    }));
  });
});
