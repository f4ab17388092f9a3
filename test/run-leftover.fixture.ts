// Fixture of test/run-leftovers.test.ts (not a test file itself): a test that starts a peer and
// then hangs past the runner's file timeout, so its cleanup never runs.
import { test } from 'node:test';
import { spawnTracked } from '@streamgate/testing';

test('hangs with a peer running', async () => {
  spawnTracked('sleep', [process.env.LEFTOVER_SLEEP_SECONDS ?? '300']);
  await new Promise(() => undefined);
});
