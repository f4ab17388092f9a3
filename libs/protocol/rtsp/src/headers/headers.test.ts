import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RtspParseError } from '../base/errors';
import { formatCSeq, parseCSeq } from './cseq';
import { RangeHeader, formatRange, parseRange } from './range';
import { RtpInfoEntry, formatRtpInfo, parseRtpInfo } from './rtp-info';
import { SessionHeader, formatSession, parseSession } from './session';

function fuzz(name: string, seeds: string[], parse: (v: string) => unknown): void {
  it(`${name} never throws anything but RtspParseError (fuzz)`, () => {
    const input = fc.oneof(
      fc.string({ maxLength: 120 }),
      fc.tuple(fc.constantFrom(...seeds), fc.string({ maxLength: 6 }), fc.nat()).map(([s, ins, pos]) => s.slice(0, pos % (s.length + 1)) + ins + s.slice(pos % (s.length + 1))),
    );
    fc.assert(fc.property(input, (v) => {
      try {
        parse(v);
      } catch (err) {
        assert.ok(err instanceof RtspParseError, String(err));
      }
    }), { numRuns: 2000 });
  });
}

describe('Session header', () => {
  const table: Array<[string, string, SessionHeader]> = [
    ['ffmpeg/GStreamer PLAY (captured, echoing our id)', '12345678', { id: '12345678' }],
    ['live555 SETUP reply', '8C1F8A1B;timeout=65', { id: '8C1F8A1B', timeout: 65 }],
    ['RFC 2326 §12.37', '47112344', { id: '47112344' }],
    ['GStreamer rtsp-server reply', 'rSgL1X3HsV7mT0YY;timeout=60', { id: 'rSgL1X3HsV7mT0YY', timeout: 60 }],
    ['spaces around the parameter', 'abc ; timeout = 30', { id: 'abc', timeout: 30 }],
  ];
  for (const [source, value, expected] of table) {
    it(`parses ${source}`, () => assert.deepEqual(parseSession(value), expected));
    it(`round-trips ${source}`, () => assert.deepEqual(parseSession(formatSession(expected)), expected));
  }
  it('rejects an empty or hostile id with 454', () => {
    for (const bad of ['', 'a b', 'x'.repeat(300), 'id\u0000']) {
      assert.throws(() => parseSession(bad), (e: unknown) => e instanceof RtspParseError && e.statusCode === 454);
    }
  });
  fuzz('parseSession', table.map(([, v]) => v), parseSession);
});

describe('Range header', () => {
  const table: Array<[string, string, RangeHeader]> = [
    ['ffmpeg PLAY (captured)', 'npt=0.000-', { unit: 'npt', start: 0 }],
    ['GStreamer PLAY (captured)', 'npt=0-', { unit: 'npt', start: 0 }],
    ['live PLAY reply', 'npt=now-', { unit: 'npt', start: 'now' }],
    ['RFC 2326 §3.6 hh:mm:ss', 'npt=00:01:02.5-00:02:00', { unit: 'npt', start: 62.5, end: 120 }],
    ['RFC 2326 §12.29 end only', 'npt=-20', { unit: 'npt', start: undefined, end: 20 }],
    ['RFC 2326 §3.7 clock', 'clock=19961108T143720.25Z-', { unit: 'clock', start: '19961108T143720.25Z' }],
    ['RFC 2326 §12.29 smpte', 'smpte=10:07:00-10:07:33:05.01', { unit: 'smpte', start: '10:07:00', end: '10:07:33:05.01' }],
    ['RFC 2326 §12.29 with time', 'npt=0-;time=19970123T153600Z', { unit: 'npt', start: 0, time: '19970123T153600Z' }],
  ];
  for (const [source, value, expected] of table) {
    it(`parses ${source}`, () => assert.deepEqual(parseRange(value), expected));
    it(`round-trips ${source}`, () => assert.deepEqual(parseRange(formatRange(expected)), expected));
  }
  it('formats npt with milliseconds', () => assert.equal(formatRange({ unit: 'npt', start: 0 }), 'npt=0.000-'));
  it('rejects nonsense with 457', () => {
    for (const bad of ['npt', 'npt=abc-', 'bytes=0-10', 'npt=-', 'npt=0:61:00-', 'clock=yesterday-']) {
      assert.throws(() => parseRange(bad), (e: unknown) => e instanceof RtspParseError && e.statusCode === 457, bad);
    }
  });
  fuzz('parseRange', table.map(([, v]) => v), parseRange);
});

describe('RTP-Info header', () => {
  const table: Array<[string, string, RtpInfoEntry[]]> = [
    ['RFC 2326 §12.33', 'url=rtsp://foo.com/bar.avi/streamid=0;seq=45102,url=rtsp://foo.com/bar.avi/streamid=1;seq=30211', [
      { url: 'rtsp://foo.com/bar.avi/streamid=0', seq: 45102 }, { url: 'rtsp://foo.com/bar.avi/streamid=1', seq: 30211 }]],
    ['live555 PLAY reply', 'url=rtsp://192.168.1.10:8554/test.264/track1;seq=26116;rtptime=2596127385', [
      { url: 'rtsp://192.168.1.10:8554/test.264/track1', seq: 26116, rtptime: 2596127385 }]],
    ['two tracks with a space', 'url=rtsp://h/s/trackID=0;seq=1;rtptime=2, url=rtsp://h/s/trackID=1;seq=3;rtptime=4', [
      { url: 'rtsp://h/s/trackID=0', seq: 1, rtptime: 2 }, { url: 'rtsp://h/s/trackID=1', seq: 3, rtptime: 4 }]],
    ['url with a comma in the query', 'url=rtsp://h/s?a=1,2/trackID=0;seq=7', [{ url: 'rtsp://h/s?a=1,2/trackID=0', seq: 7 }]],
  ];
  for (const [source, value, expected] of table) {
    it(`parses ${source}`, () => assert.deepEqual(parseRtpInfo(value), expected));
    it(`round-trips ${source}`, () => assert.deepEqual(parseRtpInfo(formatRtpInfo(expected)), expected));
  }
  it('rejects out-of-range numbers', () => {
    assert.throws(() => parseRtpInfo('url=rtsp://h/s;seq=70000'), RtspParseError);
    assert.throws(() => parseRtpInfo('seq=1'), RtspParseError);
  });
  fuzz('parseRtpInfo', table.map(([, v]) => v), parseRtpInfo);
});

describe('CSeq header', () => {
  it('parses captured values and round-trips', () => {
    for (const v of ['1', '4', ' 12 ', '4294967295']) assert.equal(formatCSeq(parseCSeq(v)), v.trim());
  });
  it('rejects non-numbers', () => {
    for (const bad of ['', '-1', 'x', '4294967296', '1.5']) assert.throws(() => parseCSeq(bad), RtspParseError);
  });
  fuzz('parseCSeq', ['1', '42'], parseCSeq);
});
