// Lint: TypeScript rules plus Nx module boundaries. Protocol libraries are pure (no I/O, Nest,
// NATS, Redis); contracts depend only on protocol; services never import each other.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const ioModules = [
  'net', 'node:net', 'dgram', 'node:dgram', 'fs', 'node:fs', 'fs/promises', 'node:fs/promises',
  'http', 'node:http', 'child_process', 'node:child_process', 'timers', 'node:timers',
  '@nestjs/*', 'nats', 'ioredis', 'pino', 'prom-client', '@opentelemetry/*',
];

// Which kinds of project each kind may import. Production code never imports a test-only
// project (type:testing, e.g. services/ingest/testing): only *.test.ts files may, below.
const productionDeps = {
  'type:protocol': ['type:protocol'],
  'type:contracts': ['type:protocol'],
  'type:platform': ['type:protocol', 'type:contracts'],
  'type:testing': ['type:protocol', 'type:contracts', 'type:platform', 'type:testing'],
  'type:service': ['type:protocol', 'type:contracts', 'type:platform'],
};
const testDeps = Object.fromEntries(Object.entries(productionDeps).map(([tag, deps]) => [tag, [...new Set([...deps, 'type:testing'])]]));
const pure = new Set(['type:protocol', 'type:contracts']);

function moduleBoundaries(deps) {
  return {
    enforceBuildableLibDependency: false,
    allow: [],
    // The bus and store contract suites (platform-testing) test the platform's own drivers and
    // are run by the platform's test files: the one cycle allowed, through test files only.
    ignoredCircularDependencies: [['platform', 'platform-testing']],
    depConstraints: [
      ...Object.entries(deps).map(([sourceTag, onlyDependOnLibsWithTags]) => ({
        sourceTag, onlyDependOnLibsWithTags, ...(pure.has(sourceTag) ? { bannedExternalImports: ioModules } : {}),
      })),
      { sourceTag: 'scope:ingest', notDependOnLibsWithTags: ['scope:packetizer', 'scope:rtsp-egress', 'scope:hls-egress', 'scope:control-api'] },
      { sourceTag: 'scope:packetizer', notDependOnLibsWithTags: ['scope:ingest', 'scope:rtsp-egress', 'scope:hls-egress', 'scope:control-api'] },
      { sourceTag: 'scope:rtsp-egress', notDependOnLibsWithTags: ['scope:ingest', 'scope:packetizer', 'scope:hls-egress', 'scope:control-api'] },
      { sourceTag: 'scope:hls-egress', notDependOnLibsWithTags: ['scope:ingest', 'scope:packetizer', 'scope:rtsp-egress', 'scope:control-api'] },
      { sourceTag: 'scope:control-api', notDependOnLibsWithTags: ['scope:ingest', 'scope:packetizer', 'scope:rtsp-egress', 'scope:hls-egress'] },
    ],
  };
}

export default [
  { ignores: ['dist/**', 'node_modules/**', '.nx/**', 'deploy/**/*.json', 'helm/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
      '@nx/enforce-module-boundaries': ['error', moduleBoundaries(productionDeps)],
    },
  },
  {
    // Nx does not see node builtins as external imports, so purity is also enforced here.
    files: ['libs/protocol/**/*.ts', 'libs/codec/**/*.ts', 'libs/media/**/*.ts', 'libs/contracts/**/*.ts', 'libs/access/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ioModules, message: 'protocol and contracts code is pure: no I/O, timers, Nest, NATS or Redis' }] }],
    },
  },
  {
    // Tests may use non-null assertions on values they just asserted.
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    // Test files (and only they) may import the test-only projects.
    files: ['**/*.test.ts'],
    rules: { '@nx/enforce-module-boundaries': ['error', moduleBoundaries(testDeps)] },
  },
];
