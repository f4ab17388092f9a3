import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Lint runs as part of the suite: the whole tree must be clean, and the Nx module
 * boundaries must actually fire (the rule silently skips itself without a project graph).
 */
const root = join(__dirname, '..', '..');
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' };

interface LintResult { filePath: string; messages: { ruleId: string | null; message: string; line: number }[] }

function eslint(args: string[], stdin?: string): LintResult[] {
  try {
    const out = execFileSync(join(root, 'node_modules', '.bin', 'eslint'), ['--format', 'json', ...args], {
      cwd: root, env, input: stdin, maxBuffer: 64 << 20, timeout: 240_000,
    });
    return JSON.parse(out.toString()) as LintResult[];
  } catch (err) {
    const stdout = (err as { stdout?: Buffer }).stdout?.toString() ?? '';
    if (stdout.startsWith('[')) return JSON.parse(stdout) as LintResult[];
    throw err;
  }
}

before(() => {
  execFileSync(join(root, 'node_modules', '.bin', 'nx'), ['show', 'projects'], { cwd: root, env, timeout: 120_000 });
});

test('the tree lints clean', { timeout: 300_000 }, () => {
  const problems = eslint(['.']).flatMap((r) => r.messages.map((m) => `${r.filePath}:${m.line} ${m.ruleId}: ${m.message}`));
  assert.deepEqual(problems, []);
});

test('module boundaries: a protocol lib importing NATS, node:net or the platform lib is refused', { timeout: 120_000 }, () => {
  const source = "import { connect } from 'nats';\nimport * as net from 'node:net';\nimport { InProcessBus } from '@streamgate/platform';\nexport const x = [connect, net, InProcessBus];\n";
  const [result] = eslint(['--stdin', '--stdin-filename', 'libs/protocol/rtp/src/violation.ts'], source);
  const rules = result.messages.map((m) => m.ruleId);
  assert.ok(rules.includes('@nx/enforce-module-boundaries'), JSON.stringify(result.messages));
  assert.ok(rules.includes('no-restricted-imports'), JSON.stringify(result.messages));
});

test('module boundaries: a service importing another service is refused', { timeout: 120_000 }, () => {
  const source = "import { startIngest } from '../../ingest/src/index';\nexport const x = startIngest;\n";
  const [result] = eslint(['--stdin', '--stdin-filename', 'services/packetizer/src/violation.ts'], source);
  assert.ok(result.messages.some((m) => m.ruleId === '@nx/enforce-module-boundaries'), JSON.stringify(result.messages));
});
