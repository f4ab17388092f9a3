/**
 * Node options every streamgate process is started with: `npm start` (package.json), each
 * image's CMD (deploy/docker) and the benchmarks' gateway (test/bench), so what is measured is
 * what ships. test/deploy/dockerfiles.test.ts checks that all three say the same.
 *
 * `--max-semi-space-size=2` caps V8's young generation at 2 MiB per semi-space (the default
 * grows it to 16): the all-in-one's RSS was 14–20 MiB lower at 200 readers with no measurable
 * CPU cost (docs/benchmarks.md, "Memory"). It must be on the command line (or NODE_OPTIONS);
 * setting it at run time does nothing.
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];
