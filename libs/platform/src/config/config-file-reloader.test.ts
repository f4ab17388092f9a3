import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../logging/logger';
import { ConfigError } from './config';
import { ConfigFileReloader, ConfigFileSubscriber } from './config-file-reloader';

const logger = createLogger({ service: 'reload-test', level: 'silent' });

function recorder(name: string, refuse?: (data: Record<string, unknown>) => string | undefined) {
  const applied: unknown[] = [];
  const sub: ConfigFileSubscriber<unknown> = {
    name,
    prepare: (doc) => {
      const why = refuse?.(doc.data as Record<string, unknown>);
      if (why) throw new ConfigError(why);
      return doc.data[name];
    },
    apply: (part, trigger) => void applied.push([trigger, part]),
  };
  return { sub, applied };
}

test('subscribers get the file at subscribe, then every accepted reload; a refusal by one applies to none', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'sg-reloader-')), 'config.json');
  writeFileSync(file, JSON.stringify({ streams: [1], users: ['a'] }));
  const reloader = new ConfigFileReloader({ path: file, required: true, logger });
  const streams = recorder('streams');
  const users = recorder('users', (d) => (Array.isArray(d.users) ? undefined : 'users must be a list'));
  await reloader.subscribe(streams.sub);
  await reloader.subscribe(users.sub);
  assert.deepEqual(streams.applied, [['boot', [1]]]);
  assert.deepEqual(users.applied, [['boot', ['a']]]);

  writeFileSync(file, JSON.stringify({ streams: [2], users: 'everyone' }));
  assert.deepEqual(await reloader.reload('SIGHUP'), { status: 'refused', reason: 'users must be a list' });
  assert.equal(streams.applied.length, 1, 'the streams part is not applied when users refuse');
  assert.deepEqual(reloader.current()?.data, { streams: [1], users: ['a'] });

  writeFileSync(file, '{"streams": [3], oops');
  const bad = await reloader.reload('file-changed');
  assert.equal(bad.status, 'refused');
  assert.match(bad.status === 'refused' ? bad.reason : '', /not valid JSON \(position \d+\)/);

  writeFileSync(file, JSON.stringify({ streams: [4], users: ['b'] }));
  assert.deepEqual(await reloader.reload('file-changed'), { status: 'applied' });
  assert.deepEqual(await reloader.reload('file-changed'), { status: 'unchanged' }, 'same bytes: nothing to do');
  assert.deepEqual(streams.applied, [['boot', [1]], ['file-changed', [4]]]);
  assert.deepEqual(users.applied, [['boot', ['a']], ['file-changed', ['b']]]);
});

test('a required file that is missing or not JSON stops the start; an optional missing file is no file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-reloader-'));
  assert.throws(() => new ConfigFileReloader({ path: join(dir, 'none.json'), required: true, logger }), /STREAMS_CONFIG=.*none\.json: file not found/);
  assert.equal(new ConfigFileReloader({ path: join(dir, 'none.json'), required: false, logger }).current(), undefined);
  writeFileSync(join(dir, 'bad.json'), '{"password": "hunter2" x');
  assert.throws(() => new ConfigFileReloader({ path: join(dir, 'bad.json'), required: true, logger }),
    (err: Error) => /not valid JSON/.test(err.message) && !err.message.includes('hunter2'));
});

test('property: any file content is an object or a ConfigError that quotes none of it', async () => {
  const fc = await import('fast-check');
  const { readJsonConfigFile } = await import('./config-file-reloader');
  const file = join(mkdtempSync(join(tmpdir(), 'sg-reloader-')), 'config.json');
  const secret = 'Zq9-secret-Zq9';
  fc.assert(fc.property(fc.oneof(fc.string(), fc.json()), fc.boolean(), (text, withSecret) => {
    const content = withSecret ? `${text}"${secret}"` : text;
    writeFileSync(file, content);
    try {
      const data = readJsonConfigFile(file);
      assert.equal(typeof data, 'object');
      assert.ok(!Array.isArray(data));
    } catch (err) {
      assert.ok(err instanceof ConfigError, String(err));
      assert.ok(!err.message.includes(secret), err.message);
    }
  }), { numRuns: 300 });
});
