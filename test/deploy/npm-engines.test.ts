import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/**
 * Issue #14 "npm ci on a fresh clone prints no warnings on Node 20": npm prints EBADENGINE for
 * every locked package whose `engines.node` the running Node does not satisfy (kubernetes-models
 * 5.x wanted Node >= 22 and gave twenty of them). This reads the lock the way npm does, so a
 * dependency that drops Node 20 fails here instead of in a user's terminal.
 */
const root = join(__dirname, '..', '..', '..');
const semver = createRequire(__filename)('semver') as { satisfies(version: string, range: string): boolean };

interface LockEntry { engines?: { node?: string } | string[]; version?: string }
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } };

test('the project supports Node 20 and no engines range above it', () => {
  assert.ok(semver.satisfies('20.10.0', manifest.engines.node), `engines.node ${manifest.engines.node} leaves out Node 20`);
});

test(`every locked package accepts the running Node (${process.version}): npm ci prints no EBADENGINE`, () => {
  const refused = Object.entries(lock.packages)
    .filter(([, entry]) => !Array.isArray(entry.engines) && typeof entry.engines?.node === 'string')
    .filter(([, entry]) => !semver.satisfies(process.version, (entry.engines as { node: string }).node))
    .map(([path, entry]) => `${path}@${entry.version} wants node ${(entry.engines as { node: string }).node}`);
  assert.ok(Object.keys(lock.packages).length > 100, 'the lock was read');
  assert.deepEqual(refused, []);
});

test('the check itself refuses a Node 22-only range (as kubernetes-models 5.x had)', () => {
  assert.equal(semver.satisfies('v20.20.2', '>=22.0.0'), false);
  assert.equal(semver.satisfies('v20.20.2', '>=14'), true);
});
