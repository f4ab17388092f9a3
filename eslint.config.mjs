// Lint: TypeScript rules plus Nx module boundaries. Protocol libraries are pure (no I/O, Nest,
// NATS, Redis); contracts depend only on protocol; services never import each other.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const ioModules = [
  'net', 'node:net', 'dgram', 'node:dgram', 'fs', 'node:fs', 'fs/promises', 'node:fs/promises',
  'http', 'node:http', 'child_process', 'node:child_process', 'timers', 'node:timers',
  '@nestjs/*', 'nats', 'ioredis', 'pino', 'prom-client', '@opentelemetry/*',
];

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
      '@nx/enforce-module-boundaries': ['error', {
        enforceBuildableLibDependency: false,
        allow: [],
        depConstraints: [
          { sourceTag: 'type:protocol', onlyDependOnLibsWithTags: ['type:protocol'],
            bannedExternalImports: ioModules },
          { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:protocol'],
            bannedExternalImports: ioModules },
          { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:protocol', 'type:contracts'] },
          { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:protocol', 'type:contracts', 'type:platform'] },
          { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:protocol', 'type:contracts', 'type:platform', 'type:testing'] },
          { sourceTag: 'scope:ingest', notDependOnLibsWithTags: ['scope:packetizer', 'scope:rtsp-egress', 'scope:control-api'] },
          { sourceTag: 'scope:packetizer', notDependOnLibsWithTags: ['scope:ingest', 'scope:rtsp-egress', 'scope:control-api'] },
          { sourceTag: 'scope:rtsp-egress', notDependOnLibsWithTags: ['scope:ingest', 'scope:packetizer', 'scope:control-api'] },
          { sourceTag: 'scope:control-api', notDependOnLibsWithTags: ['scope:ingest', 'scope:packetizer', 'scope:rtsp-egress'] },
        ],
      }],
    },
  },
  {
    // Nx does not see node builtins as external imports, so purity is also enforced here.
    files: ['libs/protocol/**/*.ts', 'libs/contracts/**/*.ts'],
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
];
