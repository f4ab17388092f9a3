import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cameraUrl, maskUrl } from './registry';

test('Dahua channel/subtype become cam/realmonitor only when the URL has no path', () => {
  assert.equal(cameraUrl({ rtsp_url: 'rtsp://10.0.0.7:554', channel: 2, subtype: 1 }), 'rtsp://10.0.0.7:554/cam/realmonitor?channel=2&subtype=1');
  assert.equal(cameraUrl({ rtsp_url: 'rtsp://10.0.0.7/live', channel: 2, subtype: 1 }), 'rtsp://10.0.0.7/live');
  assert.equal(cameraUrl({ rtsp_url: 'rtsp://10.0.0.7/cam/realmonitor?channel=1&subtype=0', channel: null, subtype: null }), 'rtsp://10.0.0.7/cam/realmonitor?channel=1&subtype=0');
});

test('masked URLs never contain the password', () => {
  fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 20 }).filter((s) => /^[A-Za-z0-9]+$/.test(s)), (secret) => {
    const masked = maskUrl(`rtsp://admin:${secret}zz@cam.local/x`, true);
    assert.ok(!masked.includes(`${secret}zz`), masked);
    assert.match(masked, /^rtsp:\/\/\*\*\*:\*\*\*@cam\.local\/x$/);
  }));
});
