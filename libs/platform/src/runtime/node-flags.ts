/**
 * Node options every streamgate process is started with: `npm start` (package.json), each
 * image's CMD (deploy/docker) and the benchmarks' gateway (test/bench), so what is measured is
 * what ships. test/deploy/dockerfiles.test.ts checks that all three say the same.
 *
 * `--max-semi-space-size=2` caps V8's young generation at 2 MiB per semi-space (the default
 * grows it to 16): the all-in-one's RSS was 14–20 MiB lower at 200 readers with no measurable
 * CPU cost (docs/benchmarks.md, "Memory"). It must be on the command line (or NODE_OPTIONS);
 * setting it at run time does nothing.
 *
 * `--heap-growing-percent=60` lets the old generation grow to 1.6× its live size before the next
 * major collection (V8 chose about 1.3× here). A camera's GOP cache keeps every access unit for
 * a GOP, so media bytes reach the old generation at the stream's bit rate, and each major
 * collection marks the whole ~27 MB heap: pulling 50 cameras made one every second, with
 * concurrent marking a sixth of the gateway's CPU. With 1.6× the gateway's CPU per camera was
 * ~12 % lower at ~0.16 MiB more RSS per camera (docs/benchmarks.md, "Fewer major collections").
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2', '--heap-growing-percent=60'];
