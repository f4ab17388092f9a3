import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { controlUrl, describeBaseUrl, redirectUrl, splitUserinfo } from './control-url';

describe('describeBaseUrl (RFC 2326 §C.1.1)', () => {
  // [case, request URL, Content-Base, Content-Location, base]
  const table: Array<[string, string, string | undefined, string | undefined, string]> = [
    ['GStreamer: Content-Base with trailing slash', 'rtsp://127.0.0.1:8554/test', 'rtsp://127.0.0.1:8554/test/', undefined, 'rtsp://127.0.0.1:8554/test/'],
    ['no Content-Base: the request URL', 'rtsp://h/live/ch1', undefined, undefined, 'rtsp://h/live/ch1'],
    ['Content-Location when there is no Content-Base', 'rtsp://h/a', undefined, 'rtsp://h/a/b/', 'rtsp://h/a/b/'],
    ['Content-Base wins over Content-Location', 'rtsp://h/a', 'rtsp://h/base/', 'rtsp://h/loc/', 'rtsp://h/base/'],
    ['Dahua: Content-Base keeps the query', 'rtsp://h:554/cam/realmonitor?channel=1&subtype=0', 'rtsp://h:554/cam/realmonitor?channel=1&subtype=0/', undefined, 'rtsp://h:554/cam/realmonitor?channel=1&subtype=0/'],
    ['relative Content-Base, absolute path', 'rtsp://h:554/a/b', '/other/', undefined, 'rtsp://h:554/other/'],
    ['relative Content-Base, relative path', 'rtsp://h:554/a/b', 'c/', undefined, 'rtsp://h:554/a/c/'],
    ['empty Content-Base', 'rtsp://h/x', '  ', undefined, 'rtsp://h/x'],
  ];
  for (const [name, req, base, loc, expected] of table) {
    it(name, () => assert.equal(describeBaseUrl(req, base, loc), expected));
  }
});

describe('controlUrl', () => {
  // [case, base, control, URL]
  const table: Array<[string, string, string | undefined, string]> = [
    ['GStreamer stream=0 on a slash-ended base', 'rtsp://h:8554/test/', 'stream=0', 'rtsp://h:8554/test/stream=0'],
    ['trackID on a base without slash', 'rtsp://h/live', 'trackID=1', 'rtsp://h/live/trackID=1'],
    ['absolute control (Axis)', 'rtsp://h/axis-media/media.amp', 'rtsp://h/axis-media/media.amp/trackID=1', 'rtsp://h/axis-media/media.amp/trackID=1'],
    ['`*` is the base itself', 'rtsp://h/s/', '*', 'rtsp://h/s/'],
    ['missing control is the base', 'rtsp://h/s', undefined, 'rtsp://h/s'],
    ['Dahua query URL without Content-Base: control appended after the query', 'rtsp://h/cam/realmonitor?channel=1&subtype=0', 'trackID=0', 'rtsp://h/cam/realmonitor?channel=1&subtype=0/trackID=0'],
    ['Dahua query URL with slash-ended Content-Base', 'rtsp://h/cam/realmonitor?channel=1&subtype=0/', 'trackID=1', 'rtsp://h/cam/realmonitor?channel=1&subtype=0/trackID=1'],
    ['query-style control extends the query', 'rtsp://h/media.sdp', '?ctype=video', 'rtsp://h/media.sdp?ctype=video'],
    ['leading slash is not doubled', 'rtsp://h/s/', '/track1', 'rtsp://h/s/track1'],
    ['upper-case scheme is absolute', 'rtsp://h/s/', 'RTSP://x/y', 'RTSP://x/y'],
  ];
  for (const [name, base, control, expected] of table) {
    it(name, () => assert.equal(controlUrl(base, control), expected));
  }
});

describe('redirectUrl and splitUserinfo', () => {
  it('resolves absolute and relative Location headers', () => {
    assert.equal(redirectUrl('rtsp://h:554/a', 'rtsp://other:8554/b'), 'rtsp://other:8554/b');
    assert.equal(redirectUrl('rtsp://h:554/a/b', '/c'), 'rtsp://h:554/c');
  });
  // [case, raw, url, username, password]
  const table: Array<[string, string, string, string | undefined, string | undefined]> = [
    ['no userinfo', 'rtsp://h:554/s', 'rtsp://h:554/s', undefined, undefined],
    ['user and password', 'rtsp://admin:pw@h:554/s', 'rtsp://h:554/s', 'admin', 'pw'],
    ['percent-encoded', 'rtsp://ad%20min:p%40ss%3A1@h/s', 'rtsp://h/s', 'ad min', 'p@ss:1'],
    ['percent-encoded @ and : (control API body)', 'rtsp://admin:p%40ss%3Aw@10.0.0.5:554/Streaming/Channels/101', 'rtsp://10.0.0.5:554/Streaming/Channels/101', 'admin', 'p@ss:w'],
    ['unencoded @ in the password', 'rtsp://admin:p@ss@h/s?x=1', 'rtsp://h/s?x=1', 'admin', 'p@ss'],
    ['user only', 'rtsp://admin@h/s', 'rtsp://h/s', 'admin', undefined],
    ['@ in the query is not userinfo', 'rtsp://h/s?mail=a@b', 'rtsp://h/s?mail=a@b', undefined, undefined],
  ];
  for (const [name, raw, url, username, password] of table) {
    it(`splits ${name}`, () => {
      const r = splitUserinfo(raw);
      assert.equal(r.url, url);
      assert.equal(r.username, username);
      assert.equal(r.password, password);
    });
  }
});
