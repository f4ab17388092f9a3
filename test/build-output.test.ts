import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * What ships is the production build (tsconfig.build.json, `npm run build:prod`, run by every
 * Dockerfile): it must not contain a test, a test-only project (any `testing/` folder, tagged
 * type:testing) or anything they import, such as fast-check. tsc lists every file the program
 * pulls in, imports included, so a service importing test code shows up here.
 */
const root = join(__dirname, '..', '..');

function productionFiles(): string[] {
  const out = execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json', '--listFilesOnly'], {
    cwd: root, maxBuffer: 64 << 20, timeout: 120_000,
  });
  return out.toString().split('\n').filter((l) => l.length > 0).map((f) => relative(root, f));
}

test('the production build holds no test code and nothing test code imports', { timeout: 150_000 }, () => {
  const files = productionFiles();
  const ours = files.filter((f) => !f.startsWith('node_modules/'));
  const testOnly = ours.filter((f) => /\.test\.ts$/.test(f) || /(^|\/)testing\//.test(f) || f.startsWith('test/'));
  assert.deepEqual(testOnly, []);
  assert.deepEqual(files.filter((f) => f.includes('node_modules/fast-check/')), [], 'fast-check is a dev dependency');
  // ...and it is the whole product: every service entry point and every library is in it.
  for (const main of ['services/all-in-one.ts', 'services/ingest/src/main.ts', 'services/packetizer/src/main.ts',
    'services/rtsp-egress/src/main.ts', 'services/control-api/src/main.ts']) {
    assert.ok(ours.includes(main), `${main} is built`);
  }
});

test('every Dockerfile ships the production build', () => {
  const dir = join(root, 'deploy', 'docker');
  const dockerfiles = readdirSync(dir).filter((f) => f.endsWith('.Dockerfile'));
  assert.ok(dockerfiles.length >= 5);
  for (const f of dockerfiles) assert.match(readFileSync(join(dir, f), 'utf8'), /npm run build:prod\b/, f);
});
