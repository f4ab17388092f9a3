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

test('module boundaries: production code importing a test-only project is refused; its *.test.ts may', { timeout: 120_000 }, () => {
  const boundaryErrors = (file: string, source: string): string[] => {
    const [result] = eslint(['--stdin', '--stdin-filename', file], source);
    return result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
  };
  // Built from parts: tsc-alias would rewrite a literal import line inside these strings.
  const importLine = (name: string, module: string): string => `import { ${name} } from '@streamgate/${module}';\n`;
  const service = importLine('startTestIngest', 'ingest/testing') + importLine('killAll', 'testing') + 'export const x = [startTestIngest, killAll];\n';
  const refused = boundaryErrors('services/ingest/src/rtmp/violation.ts', service);
  assert.equal(refused.length, 2, JSON.stringify(refused));
  for (const m of refused) assert.match(m, /"type:service" can only depend on libs tagged with "type:protocol", "type:contracts", "type:platform"$/);
  assert.deepEqual(boundaryErrors('services/ingest/src/rtmp/violation.test.ts', service), []);

  const protocol = importLine('hexToBytes', 'protocol-rtp/testing') + 'export const x = hexToBytes;\n';
  assert.equal(boundaryErrors('libs/protocol/rtp/src/violation.ts', protocol).length, 1);
  assert.deepEqual(boundaryErrors('libs/protocol/rtp/src/violation.test.ts', protocol), []);

  // A platform file may not reach into platform-testing either (the contract suites' cycle is for test files).
  const platform = importLine('runBusContract', 'platform/testing') + 'export const x = runBusContract;\n';
  assert.equal(boundaryErrors('libs/platform/src/bus/violation.ts', platform).length, 1);
});
