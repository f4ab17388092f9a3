import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RtspParseError } from '../base/errors';
import { RtspResourcePath, connectHost, parseResourcePath, parseRtspUrl, urlAuthority } from './rtsp-url';

describe('RTSP URL', () => {
  const table: Array<[string, string, RtspResourcePath]> = [
    ['ffmpeg DESCRIBE (captured)', 'rtsp://127.0.0.1:35603/s', { streamName: 's' }],
    ['ffmpeg SETUP (captured)', 'rtsp://127.0.0.1:35603/s/trackID=0', { streamName: 's', trackId: 0 }],
    ['ffmpeg/GStreamer PLAY on Content-Base (captured)', 'rtsp://127.0.0.1:35603/s/', { streamName: 's' }],
    ['double slash', 'rtsp://h:8554//cam_1//trackID=1/', { streamName: 'cam_1', trackId: 1 }],
    ['query with control appended after it', 'rtsp://h/s?token=1/trackID=1', { streamName: 's', trackId: 1 }],
    ['no path', 'rtsp://h:8554', { streamName: '' }],
    ['lower-case trackid', 'rtsp://h/s/trackid=2', { streamName: 's', trackId: 2 }],
    ['user info is ignored', 'rtsp://user:pw@h:554/s', { streamName: 's' }],
    ['IPv6 host', 'rtsp://[::1]:8554/s', { streamName: 's' }],
    ['OPTIONS *', '*', { streamName: '' }],
  ];
  for (const [source, url, expected] of table) {
    it(`resolves ${source}`, () => assert.deepEqual(parseResourcePath(url), expected));
  }

  it('keeps host, port and query', () => {
    const url = parseRtspUrl('RTSP://[::1]:8554/live/x?y=1');
    assert.deepEqual(url, { scheme: 'rtsp', host: '[::1]', port: 8554, segments: ['live', 'x'], query: 'y=1' });
    assert.equal(urlAuthority(url), 'rtsp://[::1]:8554');
    assert.equal(connectHost(url), '::1', 'a socket connects to the address without brackets');
    assert.equal(connectHost(parseRtspUrl('rtsp://cam.local/x')), 'cam.local');
  });


  it('rejects other schemes, deep paths (404) and long URLs (414)', () => {
    assert.throws(() => parseResourcePath('http://h/s'), (e: unknown) => e instanceof RtspParseError && e.statusCode === 400);
    assert.throws(() => parseResourcePath('rtsp://h/a/b/c'), (e: unknown) => e instanceof RtspParseError && e.statusCode === 404);
    assert.throws(() => parseResourcePath(`rtsp://h/${'a'.repeat(5000)}`), (e: unknown) => e instanceof RtspParseError && e.statusCode === 414);
    assert.throws(() => parseResourcePath('rtsp://h/%zz'), RtspParseError);
  });

  it('never throws anything but RtspParseError (fuzz)', () => {
    const input = fc.oneof(fc.string({ maxLength: 200 }), fc.webUrl().map((u) => u.replace(/^https?/, 'rtsp')),
      fc.tuple(fc.constantFrom(...table.map(([, u]) => u)), fc.string({ maxLength: 5 })).map(([u, s]) => u + s));
    fc.assert(fc.property(input, (u) => {
      try {
        parseResourcePath(u);
      } catch (err) {
        assert.ok(err instanceof RtspParseError, String(err));
      }
    }), { numRuns: 3000 });
  });
});
