import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { parseDockerfile } from './support/dockerfile';
import { repoPath } from './support/repo';

interface ImageSpec {
  readonly main: string;
  readonly ports: string[];
  readonly ffmpeg: boolean;
  readonly health: string;
}

const IMAGES: Record<string, ImageSpec> = {
  ingest: { main: 'dist/services/ingest/src/main.js', ports: ['1935/tcp', '9464/tcp'], ffmpeg: false, health: '/healthz' },
  packetizer: { main: 'dist/services/packetizer/src/main.js', ports: ['9464/tcp'], ffmpeg: false, health: '/healthz' },
  'rtsp-egress': { main: 'dist/services/rtsp-egress/src/main.js', ports: ['8554/tcp', '8000/udp', '8001/udp', '9464/tcp'], ffmpeg: false, health: '/healthz' },
  'control-api': { main: 'dist/services/control-api/src/main.js', ports: ['5001/tcp', '9464/tcp'], ffmpeg: true, health: '/api/health' },
  'all-in-one': { main: 'dist/services/all-in-one.js', ports: ['1935/tcp', '8554/tcp', '8000/udp', '8001/udp', '5001/tcp', '9464/tcp'], ffmpeg: true, health: '/api/health' },
};

for (const [name, spec] of Object.entries(IMAGES)) {
  test(`${name}.Dockerfile: multi-stage node:20-bookworm-slim, non-root, healthcheck, production deps only`, () => {
    const { preamble, stages } = parseDockerfile(readFileSync(repoPath('deploy', 'docker', `${name}.Dockerfile`), 'utf8'));
    const nodeImage = preamble.find((i) => i.keyword === 'ARG' && i.args.startsWith('NODE_IMAGE='));
    assert.equal(nodeImage?.args, 'NODE_IMAGE=node:20-bookworm-slim');
    assert.ok(stages.length >= 2, 'a builder stage and a runtime stage');
    for (const stage of stages) assert.equal(stage.from, '${NODE_IMAGE}');

    const builder = stages[0].instructions.map((i) => `${i.keyword} ${i.args}`).join('\n');
    assert.match(builder, /npm ci\b/);
    assert.match(builder, /npm run build/);

    const final = stages[stages.length - 1];
    const runs = final.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    assert.ok(runs.some((r) => /npm ci\b.*--omit=dev/.test(r)), 'runtime installs with npm ci --omit=dev');
    for (const r of runs) {
      assert.doesNotMatch(r, /npm (install|i)\b/, 'runtime never runs npm install');
      if (/npm ci\b/.test(r)) assert.match(r, /--omit=dev/, 'every npm ci in the runtime omits dev dependencies');
    }
    const copies = final.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    for (const c of copies) assert.doesNotMatch(c, /node_modules/, 'node_modules (with dev deps) is never copied from the builder');
    assert.ok(copies.some((c) => /dist\/services/.test(c)), 'compiled services are copied');

    const users = final.instructions.filter((i) => i.keyword === 'USER');
    assert.ok(users.length > 0, 'runtime sets USER');
    const user = users[users.length - 1].args.split(':')[0];
    assert.ok(user !== 'root' && user !== '0', `USER ${user} is not root`);
    assert.match(user, /^[1-9][0-9]*$/, 'numeric uid so Kubernetes can verify runAsNonRoot');

    const health = final.instructions.find((i) => i.keyword === 'HEALTHCHECK');
    assert.ok(health, 'HEALTHCHECK present');
    assert.match(health.args, /CMD /);
    assert.ok(health.args.includes(spec.health), `HEALTHCHECK probes ${spec.health}`);

    const exposed = final.instructions.filter((i) => i.keyword === 'EXPOSE').flatMap((i) => i.args.split(/\s+/));
    assert.deepEqual([...exposed].sort(), [...spec.ports].sort());

    const cmd = final.instructions.find((i) => i.keyword === 'CMD');
    assert.deepEqual(cmd && JSON.parse(cmd.args), ['node', spec.main]);
    assert.ok(existsSync(repoPath(spec.main.replace(/^dist\//, '').replace(/\.js$/, '.ts'))), `${spec.main} has a source file`);

    const ffmpeg = runs.some((r) => /apt-get install[^&]*\bffmpeg\b/.test(r));
    assert.equal(ffmpeg, spec.ffmpeg, spec.ffmpeg ? 'ffmpeg installed for JPEG snapshots' : 'no ffmpeg where it is not needed');
  });
}

test('each Dockerfile has its .dockerignore and all are the same', () => {
  const canonical = readFileSync(repoPath('deploy', 'docker', '.dockerignore'), 'utf8');
  assert.match(canonical, /^\*\*\/node_modules$/m);
  assert.match(canonical, /^dist$/m);
  assert.match(canonical, /^\.git$/m);
  for (const name of Object.keys(IMAGES)) {
    assert.equal(readFileSync(repoPath('deploy', 'docker', `${name}.Dockerfile.dockerignore`), 'utf8'), canonical, name);
  }
});
