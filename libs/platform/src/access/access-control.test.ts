import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, ConfigSchema } from '../config/config';
import { ConfigFileReloader } from '../config/config-file-reloader';
import { createLogger } from '../logging/logger';
import { AccessControl } from './access-control';
import { readUsersSource } from './users-source';

const logger = createLogger({ service: 'access-test', level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'sg-access-'));

describe('AccessControl configuration', () => {
  it('no users anywhere: open (not restricted), everything allowed', async () => {
    const access = new AccessControl(ConfigSchema.parse({ STREAMS_CONFIG: join(dir, 'absent.json') }), logger, undefined);
    assert.equal(access.restricted, false);
    assert.deepEqual(await access.authorize({ action: 'publish', path: 'x', protocol: 'rtmp', ip: '192.0.2.1' }), { allowed: true, user: 'any' });
  });

  it('config.json users joined with AUTH_USERS by name (the Secret supplies the password)', () => {
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify({ streams: [], users: [{ user: 'ops', permissions: [{ action: 'api' }] }, { user: 'any', permissions: [{ action: 'read' }] }] }));
    const users = readUsersSource({ STREAMS_CONFIG: configFile, AUTH_USERS: JSON.stringify({ users: [{ user: 'ops', pass: 'ops-pw' }, { user: 'cam', pass: 'c', permissions: [] }] }) });
    assert.deepEqual(users, [
      { user: 'ops', permissions: [{ action: 'api' }], pass: 'ops-pw' },
      { user: 'any', permissions: [{ action: 'read' }] },
      { user: 'cam', pass: 'c', permissions: [] },
    ]);
    // MediaMTX's key name carries over too.
    writeFileSync(configFile, JSON.stringify({ authInternalUsers: [{ user: 'any', permissions: [{ action: 'read' }] }] }));
    assert.equal(readUsersSource({ STREAMS_CONFIG: configFile })?.length, 1);
  });

  it('a bad users list stops start-up with a message that names the entry and not the password', () => {
    const config = ConfigSchema.parse({ STREAMS_CONFIG: join(dir, 'absent.json'), AUTH_USERS: JSON.stringify([{ user: 'x', pass: 'hunter2-secret', ips: ['not-an-ip'] }]) });
    assert.throws(() => new AccessControl(config, logger, undefined), (e: Error) => e instanceof ConfigError && /users\[0\] \(x\)/.test(e.message) && !e.message.includes('hunter2'));
    assert.throws(() => new AccessControl(ConfigSchema.parse({ AUTH_USERS: '{"users": [ {"user": "x", "pass": "hunter2-secret"' }), logger, undefined),
      (e: Error) => e instanceof ConfigError && !e.message.includes('hunter2'));
  });

  it('changes to the AUTH_USERS file apply without a restart; a broken edit keeps the previous list', async () => {
    const file = join(dir, 'users.json');
    writeFileSync(file, JSON.stringify([{ user: 'alice', pass: 'a-pw', permissions: [{ action: 'read' }] }]));
    const access = new AccessControl(ConfigSchema.parse({ STREAMS_CONFIG: join(dir, 'absent.json'), AUTH_USERS: file }), logger, undefined);
    access.watch(50);
    try {
      const alice = { action: 'read' as const, path: 'cam1', protocol: 'rtsp' as const, ip: '127.0.0.1', user: 'alice', pass: 'a-pw' };
      assert.equal((await access.authorize(alice)).allowed, true);
      writeFileSync(file, JSON.stringify([{ user: 'alice', pass: 'a-pw', permissions: [{ action: 'read', path: 'other' }] }, { user: 'bob', pass: 'b', permissions: [] }]));
      await waitUntil(async () => !(await access.authorize({ ...alice })).allowed);
      assert.deepEqual(await access.authorize(alice), { allowed: false, status: 403, reason: 'no-permission', user: 'alice' });
      writeFileSync(file, '[{"user": broken');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal((await access.authorize({ ...alice, path: 'other' })).allowed, true, 'the previous list is kept');
    } finally {
      access.close();
    }
  });

  it('config.json users follow the one ConfigFileReloader: a change applies without a restart, a bad list refuses the file', async () => {
    const file = join(dir, 'reloaded.json');
    const alice = (path: string) => ({ action: 'read' as const, path, protocol: 'rtsp' as const, ip: '127.0.0.1', user: 'alice', pass: 'a-pw' });
    const withUsers = (path: string) => JSON.stringify({ streams: [], users: [{ user: 'alice', pass: 'a-pw', permissions: [{ action: 'read', path }] }] });
    writeFileSync(file, withUsers('cam1'));
    const configFile = new ConfigFileReloader({ path: file, required: true, logger });
    const config = ConfigSchema.parse({ STREAMS_CONFIG: file });
    const access = new AccessControl(config, logger, undefined, { configFile });
    await configFile.subscribe(access.usersSubscriber);
    assert.equal((await access.authorize(alice('cam1'))).allowed, true);
    assert.equal((await access.authorize(alice('cam2'))).allowed, false);
    writeFileSync(file, withUsers('cam2'));
    assert.deepEqual(await configFile.reload('request'), { status: 'applied' });
    assert.equal((await access.authorize(alice('cam2'))).allowed, true, 'the new permission applies');
    assert.equal((await access.authorize(alice('cam1'))).allowed, false, 'the old one is gone');
    writeFileSync(file, JSON.stringify({ streams: [], users: [{ user: 'alice', pass: 'a-pw', ips: ['not-an-ip'] }] }));
    const refused = await configFile.reload('request');
    assert.equal(refused.status, 'refused');
    assert.match((refused as { reason: string }).reason, /users\[0\] \(alice\)/);
    assert.ok(!(refused as { reason: string }).reason.includes('a-pw'));
    assert.equal((await access.authorize(alice('cam2'))).allowed, true, 'the running list is kept');
    // Users removed from the file: the gateway is open again, as with no users at start.
    writeFileSync(file, JSON.stringify({ streams: [] }));
    assert.deepEqual(await configFile.reload('request'), { status: 'applied' });
    assert.equal(access.restricted, false);
    access.close();
  });
});

async function waitUntil(probe: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 50));
  }
}
