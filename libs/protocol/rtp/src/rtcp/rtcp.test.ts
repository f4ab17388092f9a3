import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  RtcpError, buildGoodbye, buildReceiverReport, buildSenderReport, joinCompound, ntpFromUnixMs, ntpMiddle32, ntpToUnixMs,
  parseGoodbye, parseReceiverReport, parseSenderReport, splitCompound,
} from './index';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

/**
 * Captured on 127.0.0.1 from ffmpeg 5.1.9 (Debian 12) sending RTP:
 *   ffmpeg -re -f lavfi -i testsrc2=size=160x120:rate=25 -t 6 -c:v libx264 -bf 0 -g 25 \
 *     -ssrc 305419896 -f rtp 'rtp://127.0.0.1:P?rtcpport=P+1'
 * (first datagram received on the RTCP port: an SR with no report blocks, sent before any RTP).
 */
const FFMPEG_SR = hex('80c8000612345678eeab665e73b645a1c9d7a8530000000000000000');

/** Hand-built from the RFC 3550 §6.4.2 layout (one block about the ffmpeg SSRC above). */
const RR_ONE_BLOCK = hex(
  '81c90007 0badcafe 12345678 02000003 00010f2c 00000011 5e73b645 00010000',
);

describe('RTCP sender report', () => {
  it('parses the SR ffmpeg sends', () => {
    const sr = parseSenderReport(FFMPEG_SR);
    assert.equal(sr.ssrc, 0x12345678);
    assert.deepEqual(sr.ntp, { seconds: 0xeeab665e, fraction: 0x73b645a1 });
    assert.equal(sr.rtpTimestamp, 0xc9d7a853);
    assert.equal(sr.packetCount, 0);
    assert.equal(sr.octetCount, 0);
    assert.deepEqual(sr.reports, []);
  });

  it('round-trips the ffmpeg SR byte for byte', () => {
    assert.deepEqual(buildSenderReport(parseSenderReport(FFMPEG_SR)), FFMPEG_SR);
  });

  it('round-trips an SR with report blocks', () => {
    const sr = {
      ssrc: 1, ntp: ntpFromUnixMs(1_700_000_000_123), rtpTimestamp: 0xffffffff, packetCount: 10, octetCount: 12345,
      reports: [{ ssrc: 2, fractionLost: 3, cumulativeLost: -5, extendedHighestSequence: 70000, jitter: 9, lastSenderReport: 11, delaySinceLastSenderReport: 12 }],
    };
    assert.deepEqual(parseSenderReport(buildSenderReport(sr)), sr);
  });

  it('rejects a packet whose length field disagrees with its size', () => {
    assert.throws(() => parseSenderReport(FFMPEG_SR.subarray(0, 24)), RtcpError);
  });
});

describe('RTCP receiver report', () => {
  it('parses a one-block RR', () => {
    const rr = parseReceiverReport(RR_ONE_BLOCK);
    assert.equal(rr.ssrc, 0x0badcafe);
    assert.equal(rr.reports.length, 1);
    assert.deepEqual(rr.reports[0], {
      ssrc: 0x12345678, fractionLost: 2, cumulativeLost: 3, extendedHighestSequence: 0x10f2c, jitter: 17,
      lastSenderReport: 0x5e73b645, delaySinceLastSenderReport: 0x10000,
    });
    assert.deepEqual(buildReceiverReport(rr), RR_ONE_BLOCK);
  });

  it('round-trips an empty RR', () => {
    const rr = { ssrc: 42, reports: [] };
    assert.deepEqual(parseReceiverReport(buildReceiverReport(rr)), rr);
  });
});

describe('RTCP BYE', () => {
  for (const bye of [{ sources: [0x12345678] }, { sources: [1, 2], reason: 'source stopped' }, { sources: [], reason: 'é' }]) {
    it(`round-trips ${JSON.stringify(bye)}`, () => {
      const bytes = buildGoodbye(bye);
      assert.equal(bytes.byteLength % 4, 0);
      assert.deepEqual(parseGoodbye(bytes), bye);
    });
  }
  it('refuses a reason longer than 255 bytes', () => {
    assert.throws(() => buildGoodbye({ sources: [1], reason: 'x'.repeat(256) }), RtcpError);
  });
});

describe('RTCP compound', () => {
  it('splits SR + RR + BYE into views', () => {
    const bye = buildGoodbye({ sources: [0x12345678], reason: 'bye' });
    const parts = splitCompound(joinCompound([FFMPEG_SR, RR_ONE_BLOCK, bye]));
    assert.deepEqual(parts.map((p) => p.header.packetType), [200, 201, 203]);
    assert.deepEqual(parts[2].packet, bye);
  });
  it('rejects a truncated compound', () => {
    assert.throws(() => splitCompound(joinCompound([FFMPEG_SR, RR_ONE_BLOCK]).subarray(0, 40)), RtcpError);
  });
  it('rejects an empty buffer', () => {
    assert.throws(() => splitCompound(new Uint8Array(0)), RtcpError);
  });
});

describe('NTP time', () => {
  it('converts Unix ms to NTP and back within a microsecond', () => {
    for (const ms of [0, 1_700_000_000_000, 1_700_000_000_999.5]) {
      assert.ok(Math.abs(ntpToUnixMs(ntpFromUnixMs(ms)) - ms) < 0.001);
    }
  });
  it('takes the middle 32 bits for LSR', () => {
    assert.equal(ntpMiddle32({ seconds: 0xeeab665e, fraction: 0x73b645a1 }), 0x665e73b6);
  });
});

describe('RTCP fuzz', () => {
  const seeds = [FFMPEG_SR, RR_ONE_BLOCK, buildGoodbye({ sources: [1], reason: 'x' })];
  const input = fc.oneof(
    fc.uint8Array({ maxLength: 256 }),
    fc.tuple(fc.constantFrom(...seeds), fc.nat(64), fc.uint8Array({ minLength: 1, maxLength: 4 })).map(([seed, pos, bytes]) => {
      const copy = Uint8Array.from(seed);
      copy.set(bytes.subarray(0, Math.max(0, copy.byteLength - (pos % copy.byteLength))), pos % copy.byteLength);
      return copy;
    }),
  );
  const parsers = { splitCompound, parseSenderReport, parseReceiverReport, parseGoodbye };
  for (const [name, parse] of Object.entries(parsers)) {
    it(`${name} throws only RtcpError and never mutates its input`, () => {
      fc.assert(
        fc.property(input, (buf) => {
          const before = Uint8Array.from(buf);
          try {
            parse(buf);
          } catch (err) {
            assert.ok(err instanceof RtcpError, String(err));
          }
          assert.deepEqual(buf, before);
        }),
        { numRuns: 2000 },
      );
    });
  }
});
