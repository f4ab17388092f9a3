import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { StreamConfig } from '@streamgate/contracts';
import { SecretBox } from './secret-box';
import { decodeStreamConfig, encodeStreamConfig, RegistryEntryError, storedEntryNeedsReseal, StreamConfigDecoder } from './stream-registry-codec';

const config = (): StreamConfig => StreamConfig.parse({
  name: 'gate',
  rtsp_url: 'rtsp://10.0.0.5/main',
  username: 'admin',
  password: 'primary-secret',
  backup_sources: [
    { rtsp_url: 'rtsp://10.0.0.6/main', username: 'backup-user', password: 'backup-secret-1' },
    { rtsp_url: 'rtsp://10.0.0.7/main' },
  ],
  created_at: 1,
  updated_at: 1,
});

test('backup sources: credentials are sealed like the primary\'s and open back', () => {
  const box = new SecretBox(randomBytes(32));
  const stored = encodeStreamConfig(config(), box);
  for (const secret of ['primary-secret', 'backup-secret-1', 'backup-user']) assert.ok(!stored.includes(secret), `${secret} in plaintext`);
  const raw = JSON.parse(stored) as { backup_sources: { username: string | null; password: string | null }[] };
  assert.ok(SecretBox.isSealed(String(raw.backup_sources[0].password)));
  assert.equal(raw.backup_sources[1].password, null);
  assert.deepEqual(decodeStreamConfig('streams/gate', stored, box), config());
  assert.equal(storedEntryNeedsReseal(stored, box), false);
});

test('backup sources: a plaintext backup password (written before sealing) is flagged for sealing', () => {
  const box = new SecretBox(randomBytes(32));
  const stored = JSON.parse(encodeStreamConfig(config(), box)) as { backup_sources: { password: string | null }[] };
  stored.backup_sources[1].password = 'plain';
  assert.equal(storedEntryNeedsReseal(JSON.stringify(stored), box), true);
});

test('an entry from before backup sources decodes with the defaults (single url form)', () => {
  const box = new SecretBox(randomBytes(32));
  const old = JSON.stringify({ name: 'cam', rtsp_url: 'rtsp://10.0.0.5/', created_at: 1, updated_at: 1 });
  const decoded = decodeStreamConfig('streams/cam', old, box);
  assert.deepEqual(decoded.backup_sources, []);
  assert.equal(decoded.on_demand, false);
  assert.equal(decoded.on_demand_close_after, 10);
  assert.equal(decoded.switch_back_after, 10);
});

test('StreamConfigDecoder: an entry whose text did not change is not decoded again; a changed one is; retain forgets removed keys; a bad one throws and is not kept', () => {
  const box = new SecretBox(randomBytes(32));
  let opened = 0;
  const counting = Object.assign(Object.create(box) as SecretBox, { open: (v: string) => (opened++, box.open(v)) });
  const decoder = new StreamConfigDecoder(counting);
  const stored = encodeStreamConfig(config(), box);
  const first = decoder.decode('streams/gate', stored);
  assert.deepEqual(first, config());
  assert.ok(Object.isFrozen(first), 'shared configs are frozen');
  assert.ok(Object.isFrozen(first.backup_sources) && first.backup_sources.every((b) => Object.isFrozen(b)), 'through and through');
  const opens = opened;
  assert.ok(opens > 0);
  assert.equal(decoder.decode('streams/gate', stored), first, 'same text: the same config, nothing opened');
  assert.equal(opened, opens);
  const changed = encodeStreamConfig({ ...config(), rtsp_url: 'rtsp://10.0.0.9/main' }, box);
  assert.equal(decoder.decode('streams/gate', changed).rtsp_url, 'rtsp://10.0.0.9/main');
  assert.ok(opened > opens, 'changed text: decoded again');
  decoder.decode('streams/other', stored);
  assert.equal(decoder.size, 2);
  decoder.retain(new Set(['streams/other']));
  assert.equal(decoder.size, 1);
  assert.throws(() => decoder.decode('streams/bad', '{"name":'), RegistryEntryError);
  assert.equal(decoder.size, 1, 'a bad entry is not kept');
});
