import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { killAll, spawnTracked, TimeoutError, withTimeout } from './processes';

/** Running and not a zombie: an orphan killed after its parent exited may wait unreaped. */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

describe('processes', () => {
  it('captures output and exit status', async () => {
    const p = spawnTracked('sh', ['-c', 'echo out; echo err >&2; exit 3']);
    assert.deepEqual(await p.exited, { code: 3, signal: null });
    assert.equal(p.stdout(), 'out\n');
    assert.equal(p.stderr(), 'err\n');
  });

  it('kill() escalates to SIGKILL when SIGTERM is ignored', async () => {
    const p = spawnTracked('sh', ['-c', 'trap "" TERM; echo ready; while :; do sleep 0.1; done']);
    await new Promise<void>((resolve) => p.child.stdout?.once('data', () => resolve()));
    const status = await p.kill(300);
    assert.equal(status.signal, 'SIGKILL');
  });

  it('killAll() ends every tracked child', async () => {
    const a = spawnTracked('sleep', ['30']);
    const b = spawnTracked('sleep', ['30']);
    await killAll();
    assert.equal(alive(a.pid), false);
    assert.equal(alive(b.pid), false);
  });

  it('a command that cannot start exits with code -1 and says why', async () => {
    const p = spawnTracked('/nonexistent/binary', []);
    assert.equal((await p.exited).code, -1);
    assert.match(p.stderr(), /ENOENT/);
  });

  it('children are killed when the parent process exits', async () => {
    // The parent spawns a sleeper, prints its pid and exits; the sleeper must not outlive it.
    const script = `const { spawnTracked } = require(${JSON.stringify(require.resolve('./processes'))});
      const p = spawnTracked('sleep', ['30']); console.log(p.pid); process.exit(0);`;
    const parent = spawnTracked(process.execPath, ['-e', script]);
    await parent.exited;
    const pid = Number(parent.stdout().trim());
    assert.ok(pid > 0, parent.stderr());
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(alive(pid), false);
  });

  it('withTimeout rejects with a message naming what timed out', async () => {
    await assert.rejects(withTimeout(new Promise(() => undefined), 20, 'the thing'), (e: unknown) => {
      assert.ok(e instanceof TimeoutError);
      assert.match(e.message, /timed out after 20 ms: the thing/);
      return true;
    });
    assert.equal(await withTimeout(Promise.resolve(7), 1000, 'x'), 7);
  });
});
