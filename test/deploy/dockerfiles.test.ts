import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { GATEWAY_NODE_FLAGS } from '@streamgate/platform';
import { parseDockerfile } from './support/dockerfile';
import { repoPath } from './support/repo';

interface ImageSpec {
  readonly main: string;
  readonly ports: string[];
  readonly ffmpeg: boolean;
  readonly health: string;
  /** Runtime FROM scratch with only node and its libraries (no shell, apt or npm): under 200 MB. */
  readonly minimal: boolean;
}

const IMAGES: Record<string, ImageSpec> = {
  ingest: { main: 'dist/services/ingest/src/main.js', ports: ['1935/tcp', '9464/tcp'], ffmpeg: false, health: '/healthz', minimal: true },
  packetizer: { main: 'dist/services/packetizer/src/main.js', ports: ['9464/tcp'], ffmpeg: false, health: '/healthz', minimal: true },
  'rtsp-egress': { main: 'dist/services/rtsp-egress/src/main.js', ports: ['8554/tcp', '8000/udp', '8001/udp', '9464/tcp'], ffmpeg: false, health: '/healthz', minimal: true },
  'hls-egress': { main: 'dist/services/hls-egress/src/main.js', ports: ['8888/tcp', '9464/tcp'], ffmpeg: false, health: '/healthz', minimal: true },
  'control-api': { main: 'dist/services/control-api/src/main.js', ports: ['5001/tcp', '9464/tcp'], ffmpeg: true, health: '/api/health', minimal: true },
  'all-in-one': { main: 'dist/services/all-in-one.js', ports: ['1935/tcp', '8554/tcp', '8000/udp', '8001/udp', '5001/tcp', '8888/tcp', '9464/tcp'], ffmpeg: true, health: '/api/health', minimal: true },
};

for (const [name, spec] of Object.entries(IMAGES)) {
  test(`${name}.Dockerfile: multi-stage node:20-bookworm-slim, non-root, healthcheck, production deps only`, () => {
    const { preamble, stages } = parseDockerfile(readFileSync(repoPath('deploy', 'docker', `${name}.Dockerfile`), 'utf8'));
    const nodeImage = preamble.find((i) => i.keyword === 'ARG' && i.args.startsWith('NODE_IMAGE='));
    assert.equal(nodeImage?.args, 'NODE_IMAGE=node:20-bookworm-slim');
    assert.ok(stages.length >= 2, 'a builder stage and a runtime stage');
    const final = stages[stages.length - 1];
    for (const stage of stages.slice(0, -1)) assert.equal(stage.from, '${NODE_IMAGE}');
    assert.equal(final.from, spec.minimal ? 'scratch' : '${NODE_IMAGE}');
    const byName = new Map(stages.filter((st) => st.name).map((st) => [st.name, st]));
    const copiesFrom = (st: typeof final) => st.instructions.filter((i) => i.keyword === 'COPY' && /--from=/.test(i.args))
      .map((i) => ({ from: /--from=(\S+)/.exec(i.args)?.[1] ?? '', args: i.args }));
    if (spec.minimal) {
      // The runtime's root is node and its C libraries, taken from a stage of NODE_IMAGE.
      const root = copiesFrom(final).find((c) => /\/rootfs\/ \/$/.test(c.args));
      assert.ok(root, 'COPY --from=<stage> /rootfs/ /');
      const rootStage = byName.get(root.from);
      assert.equal(rootStage?.from, '${NODE_IMAGE}');
      const script = rootStage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args).join('\n');
      assert.match(script, /cp "\$\(command -v node\)" \/rootfs\/usr\/local\/bin\/node/);
      assert.match(script, /ldd "\$\(command -v node\)"/, 'the libraries node links come along');
      assert.doesNotMatch(script, /npm /);
      assert.equal(/apt-get install[^&]*\bffmpeg\b/.test(script), spec.ffmpeg, spec.ffmpeg ? 'ffmpeg installed for JPEG snapshots' : 'no ffmpeg where it is not needed');
      if (spec.ffmpeg) assert.match(script, /cp "\$\(command -v ffmpeg\)" \/rootfs\/usr\/bin\/ffmpeg/);
    }

    const builder = stages[0].instructions.map((i) => `${i.keyword} ${i.args}`).join('\n');
    assert.match(builder, /npm ci\b/);
    assert.match(builder, /npm run build/);

    const runs = final.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    // Production dependencies: installed in the runtime, or copied from a stage that installs only them.
    const depsFrom = copiesFrom(final).filter((c) => c.from !== 'builder' && byName.get(c.from)?.instructions.some((i) => i.keyword === 'RUN' && /npm ci\b/.test(i.args)));
    assert.ok(runs.some((r) => /npm ci\b.*--omit=dev/.test(r)) || depsFrom.length > 0, 'runtime gets npm ci --omit=dev dependencies');
    for (const { from } of depsFrom) {
      for (const r of (byName.get(from)?.instructions ?? []).filter((i) => i.keyword === 'RUN' && /npm (ci|install|i)\b/.test(i.args))) {
        assert.match(r.args, /npm ci\b.*--omit=dev/, `stage ${from} installs production dependencies only`);
      }
    }
    for (const r of runs) {
      assert.doesNotMatch(r, /npm (install|i)\b/, 'runtime never runs npm install');
      if (/npm ci\b/.test(r)) assert.match(r, /--omit=dev/, 'every npm ci in the runtime omits dev dependencies');
    }
    const copies = final.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    for (const c of copies.filter((a) => /--from=builder\b/.test(a))) assert.doesNotMatch(c, /node_modules|\/src\/ |\/src\/\s*\.\/?$/, 'node_modules (with dev deps) is never copied from the builder');
    for (const c of copies) assert.doesNotMatch(c, /node_modules/, 'node_modules is never named in a runtime COPY');
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
    assert.deepEqual(cmd && JSON.parse(cmd.args), ['node', ...GATEWAY_NODE_FLAGS, spec.main], 'started with the node options npm start and the benchmarks use');
    assert.ok(existsSync(repoPath(spec.main.replace(/^dist\//, '').replace(/\.js$/, '.ts'))), `${spec.main} has a source file`);

    if (!spec.minimal) {
      const ffmpeg = runs.some((r) => /apt-get install[^&]*\bffmpeg\b/.test(r));
      assert.equal(ffmpeg, spec.ffmpeg, spec.ffmpeg ? 'ffmpeg installed for JPEG snapshots' : 'no ffmpeg where it is not needed');
    }
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

test('npm start runs the gateway with the same node options as the images (GATEWAY_NODE_FLAGS)', () => {
  const scripts = (JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  assert.equal(scripts.start, ['node', ...GATEWAY_NODE_FLAGS, 'tools/start.mjs'].join(' '));
});
