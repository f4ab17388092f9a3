import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cameraUrl, maskUrl, publishedKey, sourceLabel } from './registry';
import { isValidStreamName } from './stream-name';

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

test('sources entries: publish:<key> and its label are each other\'s inverse; anything else is no key', () => {
  assert.equal(sourceLabel({ publish: 'drone_1' }), 'publish:drone_1');
  assert.equal(publishedKey(sourceLabel({ publish: 'drone_1' })), 'drone_1');
  for (const entry of ['publish:', 'publish:bad.key', 'publish:a b', 'rtsp://10.0.0.5/publish:x', 'Publish:x', `publish:${'k'.repeat(65)}`]) {
    assert.equal(publishedKey(entry), undefined, entry);
  }
  assert.equal(sourceLabel({ rtsp_url: 'rtsp://10.0.0.6/live', username: 'u', password: null }), 'rtsp://***:***@10.0.0.6/live');
});

test('publishedKey on any string: a key only for exactly publish:<valid stream name>', () => {
  fc.assert(fc.property(fc.oneof(fc.string(), fc.string().map((s) => `publish:${s}`)), (entry) => {
    const key = publishedKey(entry);
    if (key !== undefined) {
      assert.ok(isValidStreamName(key));
      assert.equal(`publish:${key}`, entry);
    } else {
      assert.ok(!entry.startsWith('publish:') || !isValidStreamName(entry.slice(8)));
    }
  }));
});
