import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileBackedStateStore, StateFileError } from './file-store';
import { runStoreContract } from '@streamgate/platform/testing';

const dir = mkdtempSync(join(tmpdir(), 'sg-store-'));
runStoreContract('memory+file', async () => new FileBackedStateStore(join(dir, 'contract.json'), ['contract/']));

test('registry keys survive a restart; status with a TTL does not', async () => {
  const path = join(dir, 'restart.json');
  const a = new FileBackedStateStore(path, ['streams/']);
  await a.set('streams/cam1', '{"name":"cam1"}');
  await a.set('status/cam1/ingest', '{}', { ttlMs: 60_000 });
  await a.set('other/x', 'y');
  await a.close();
  const b = new FileBackedStateStore(path, ['streams/']);
  assert.equal(await b.get('streams/cam1'), '{"name":"cam1"}');
  assert.equal(await b.get('status/cam1/ingest'), undefined);
  assert.equal(await b.get('other/x'), undefined);
  await b.delete('streams/cam1');
  const c = new FileBackedStateStore(path, ['streams/']);
  assert.equal(await c.get('streams/cam1'), undefined);
  assert.match(readFileSync(path, 'utf8'), /"entries"/);
});

test('a corrupt state file stops start-up with a message naming the file', () => {
  const path = join(dir, 'corrupt.json');
  writeFileSync(path, '{ not json');
  assert.throws(() => new FileBackedStateStore(path, ['streams/']), (err: unknown) => err instanceof StateFileError && err.message.includes(path));
});
