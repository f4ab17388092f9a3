import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig, parseDotEnv } from './config';

test('defaults match the documented ports', () => {
  const c = loadConfig({}, '/nonexistent/.env');
  assert.equal(c.PORT, 5001);
  assert.equal(c.RTSP_PORT, 8554);
  assert.equal(c.RTMP_PORT, 1935);
  assert.equal(c.RTMP_REQUIRE_KNOWN_KEYS, false);
});

test('a bad value stops start-up with a message naming the variable', () => {
  assert.throws(() => loadConfig({ RTSP_PORT: 'eighty' }, '/nonexistent/.env'), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /RTSP_PORT="eighty"/);
    return true;
  });
  assert.throws(() => loadConfig({ PORT: '70000' }, '/nonexistent/.env'), /PORT/);
});

test('READ_COALESCE_MS: 3 ms by default, 0 turns it off, bounded to 0–20 ms', () => {
  assert.equal(loadConfig({}, '/nonexistent/.env').READ_COALESCE_MS, 3);
  assert.equal(loadConfig({ READ_COALESCE_MS: '0' }, '/nonexistent/.env').READ_COALESCE_MS, 0);
  assert.equal(loadConfig({ READ_COALESCE_MS: '20' }, '/nonexistent/.env').READ_COALESCE_MS, 20);
  assert.throws(() => loadConfig({ READ_COALESCE_MS: '21' }, '/nonexistent/.env'), /READ_COALESCE_MS/);
  assert.throws(() => loadConfig({ READ_COALESCE_MS: '-1' }, '/nonexistent/.env'), /READ_COALESCE_MS/);
});

test('.env parsing: comments, quotes, export prefix', () => {
  assert.deepEqual(parseDotEnv('# c\nPORT=6000\nexport HOST="127.0.0.1"\nBAD LINE\nDEBUG=\'true\'\n'), {
    PORT: '6000', HOST: '127.0.0.1', DEBUG: 'true',
  });
});

test('a bad secret is named but never echoed', () => {
  assert.throws(() => loadConfig({ API_KEY: 'short' }, '/nonexistent/.env'), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /API_KEY=<redacted>/);
    assert.doesNotMatch(err.message, /short/);
    return true;
  });
});

test('a port conflict at start names the setting to change', async () => {
  const { explainStartupError } = await import('../runtime/context');
  const err = Object.assign(new Error('listen EADDRINUSE: address already in use 0.0.0.0:9464'), { code: 'EADDRINUSE', port: 9464 });
  assert.equal(explainStartupError(err, loadConfig({}, '/nonexistent/.env')), 'port 9464 is already in use: set METRICS_PORT to another port');
  const udp = Object.assign(new Error('bind EADDRINUSE 0.0.0.0:8001'), { code: 'EADDRINUSE', port: 8001 });
  assert.equal(explainStartupError(udp, loadConfig({}, '/nonexistent/.env')), 'port 8001 is already in use: set RTSP_UDP_RTP_PORT to another port');
});
