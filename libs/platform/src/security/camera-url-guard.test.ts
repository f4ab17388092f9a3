import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CameraUrlGuard, CameraUrlRefused, CidrListError, DEFAULT_CAMERA_ALLOWED_NETWORKS, parseCidrList } from './camera-url-guard';

describe('camera URL guard', () => {
  const guard = new CameraUrlGuard({
    allowedNetworks: DEFAULT_CAMERA_ALLOWED_NETWORKS,
    resolve: async (host) => ({ 'cam.test': ['192.168.1.20'], 'rebind.test': ['10.0.0.1', '169.254.169.254'], 'v6.test': ['::ffff:169.254.1.1'] } as Record<string, string[]>)[host] ?? [],
  });

  for (const [url, expected] of [
    ['rtsp://192.168.1.64/x', '192.168.1.64'],
    ['rtsps://10.1.2.3:322/x', '10.1.2.3'],
    ['rtsp://127.0.0.1:8554/x', '127.0.0.1'],
    ['rtsp://[::1]:8554/x', '::1'],
    ['rtsp://cam.test/x', '192.168.1.20'],
  ] as const) {
    test(`allows ${url}`, async () => assert.equal(await guard.check(url), expected));
  }

  for (const [url, reason] of [
    ['rtsp://169.254.169.254/latest/meta-data', /link-local or metadata/],
    ['rtsp://[fe80::1]/x', /link-local/],
    ['rtsp://[fd00:ec2::254]/x', /link-local or metadata/],
    ['rtsp://rebind.test/x', /rebind\.test \(169\.254\.169\.254\)/],
    ['rtsp://v6.test/x', /link-local/],
    ['rtsp://8.8.8.8/x', /outside CAMERA_ALLOWED_NETWORKS/],
    ['rtsp://0.0.0.0/x', /link-local or metadata|never allowed/],
    ['http://10.0.0.1/x', /only rtsp/],
    ['rtsp://10.0.0.1/a\r\nb', /control characters/],
    ['rtsp://unknown.test/x', /does not resolve/],
  ] as const) {
    test(`refuses ${JSON.stringify(url)}`, async () => {
      await assert.rejects(guard.check(url), (err: unknown) => err instanceof CameraUrlRefused && reason.test(err.message));
    });
  }

  test('CAMERA_ALLOWED_NETWORKS narrows what is allowed (loopback off)', async () => {
    const narrow = new CameraUrlGuard({ allowedNetworks: '10.0.0.0/8' });
    await assert.rejects(narrow.check('rtsp://127.0.0.1/x'), /outside CAMERA_ALLOWED_NETWORKS/);
    assert.equal(await narrow.check('rtsp://10.2.3.4/x'), '10.2.3.4');
  });

  test('CIDR list parser: every generated IPv4 CIDR parses and contains its own base; garbage throws CidrListError only', () => {
    fc.assert(fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), (ip, bits) => {
      const list = parseCidrList(`${ip}/${bits}`);
      assert.equal(list.check(ip, 'ipv4'), true);
    }), { numRuns: 300 });
    fc.assert(fc.property(fc.ipV6(), fc.integer({ min: 0, max: 128 }), (ip, bits) => {
      assert.equal(parseCidrList(`${ip}/${bits}`).check(ip, 'ipv6'), true);
    }), { numRuns: 200 });
    fc.assert(fc.property(fc.string({ maxLength: 40 }), (junk) => {
      try {
        parseCidrList(junk);
      } catch (err) {
        assert.ok(err instanceof CidrListError, String(err));
      }
    }), { numRuns: 500 });
    assert.throws(() => parseCidrList('10.0.0.0/33'), CidrListError);
  });
});
