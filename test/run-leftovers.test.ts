import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const root = join(__dirname, '..', '..');

/** PIDs of running processes whose command line is exactly `argv`. */
function processesRunning(argv: string[]): number[] {
  const want = argv.join('\0') + '\0';
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'latin1') === want;
    } catch {
      return false;
    }
  }).map(Number);
}

test('the runner kills the peers of a test file it stopped at its timeout', async () => {
  // A duration no other process here uses, to find the fixture's peer by its command line.
  const seconds = `${300 + Math.floor(Math.random() * 1e6)}.5`;
  const fixture = join(root, 'dist', 'test', 'run-leftover.fixture.js');
  // The timeout leaves room for the fixture to load under a busy machine (2 files at a time in CI).
  // Without NODE_TEST_CONTEXT: the nested runner must not think it is a file of ours.
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const r = await promisify(execFile)('node', [join(root, 'test', 'run.mjs'), fixture], {
    env: { ...env, TEST_FILE_TIMEOUT_MS: '15000', LEFTOVER_SLEEP_SECONDS: seconds },
    timeout: 60_000,
  }).catch((e: { stdout: string }) => e);
  assert.match(r.stdout, /timed out after 15000ms/, r.stdout);
  assert.match(r.stdout, /killed 1 test peer process/, r.stdout);
  assert.match(r.stdout, /0 passed, 1 failed/);
  const left = processesRunning(['sleep', seconds]);
  for (const pid of left) process.kill(pid, 'SIGKILL');
  assert.deepEqual(left, [], `sleep ${seconds} outlived the run`);
});
