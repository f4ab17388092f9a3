import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ReceptionStats } from './reception-stats';

/** Packets of one source, in order (the ReorderBuffer's calls): `seqs` at 40 ms, 3600 ticks apart. */
function source(s: ReceptionStats, ssrc: number, seqs: readonly number[], arrival = (i: number): number => i * 40): void {
  s.startSource(seqs[0], ssrc);
  seqs.forEach((seq, i) => s.record(seq, i * 3600, arrival(i)));
}

describe('ReceptionStats (RFC 3550 A.1, A.3, A.8)', () => {
  const CLOCK = 90000;
  it('counts a clean stream: no loss, extended sequence across the wrap', () => {
    const s = new ReceptionStats(CLOCK);
    source(s, 7, Array.from({ length: 10 }, (_, i) => (65530 + i) & 0xffff));
    const block = s.reportBlock(400);
    assert.ok(block);
    assert.equal(block.cumulativeLost, 0);
    assert.equal(block.fractionLost, 0);
    assert.equal(block.extendedHighestSequence, 0x10000 + 3);
    assert.equal(block.ssrc, 7);
    assert.equal(s.packetsLost, 0);
  });

  it('counts losses and the fraction lost per interval', () => {
    const s = new ReceptionStats(CLOCK);
    // 101..201: every 4th (104…200) lost, 25 of 101 expected.
    const seqs: number[] = [];
    for (let seq = 101; seq <= 201; seq++) if (seq % 4 !== 0) seqs.push(seq);
    source(s, 7, seqs);
    const first = s.reportBlock(10_000);
    assert.ok(first);
    assert.equal(first.cumulativeLost, 25);
    assert.equal(first.fractionLost, Math.floor((25 * 256) / 101));
    for (let seq = 202; seq <= 300; seq++) s.record(seq, seq * 3600, seq * 40);
    const second = s.reportBlock(20_000);
    assert.equal(second?.fractionLost, 0);
    assert.equal(second?.cumulativeLost, 25);
  });

  it('a late packet counts as received and does not move the highest sequence number back', () => {
    const s = new ReceptionStats(CLOCK);
    source(s, 7, [1, 2, 4, 5]);
    s.record(3, 0, 500);
    assert.equal(s.reportBlock(0)?.extendedHighestSequence, 5);
    assert.equal(s.packetsLost, 0);
  });

  it('jitter is zero for perfectly paced packets and grows with arrival noise', () => {
    const paced = new ReceptionStats(CLOCK);
    source(paced, 7, Array.from({ length: 50 }, (_, i) => i));
    assert.equal(paced.jitterSeconds, 0);
    const noisy = new ReceptionStats(CLOCK);
    source(noisy, 7, Array.from({ length: 200 }, (_, i) => i), (i) => i * 40 + (i % 2 === 0 ? 0 : 10));
    // |D| = 10 ms every packet: J converges to 10 ms (A.8 with gain 1/16).
    assert.ok(Math.abs(noisy.jitterSeconds - 0.01) < 0.0005, String(noisy.jitterSeconds));
  });

  it('fills LSR/DLSR from the last sender report of the current source (RFC 3550 §6.4.1)', () => {
    const s = new ReceptionStats(CLOCK);
    source(s, 7, [1]);
    s.senderReport(8, 0x11111111, 900);
    s.senderReport(7, 0x12345678, 1000);
    const block = s.reportBlock(1500);
    assert.equal(block?.lastSenderReport, 0x12345678);
    assert.equal(block?.delaySinceLastSenderReport, 32768);
  });

  it('a new source starts new statistics and keeps earlier losses', () => {
    const s = new ReceptionStats(CLOCK);
    source(s, 7, [1, 2, 5]);
    source(s, 8, [1000]);
    assert.equal(s.ssrc, 8);
    assert.equal(s.packetsLost, 2);
    assert.equal(s.packetsReceived, 4);
    assert.equal(s.reportBlock(0)?.extendedHighestSequence, 1000);
  });

  it('no report block before the first packet', () => {
    assert.equal(new ReceptionStats(CLOCK).reportBlock(0), undefined);
  });
});
