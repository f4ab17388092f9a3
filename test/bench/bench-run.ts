import { writeFileSync } from 'node:fs';
import { killAll } from '@streamgate/testing';

/** Progress goes to stderr with a time stamp; the report goes to stdout. */
export function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** Prints the report (and writes it to `out`): a run line, then the sections. */
export function emitReport(started: number, sections: readonly string[], out?: string): void {
  const report = [`Run ${new Date().toISOString()}, ${((Date.now() - started) / 60_000).toFixed(1)} min.`, '', ...sections, ''].join('\n');
  process.stdout.write(report);
  if (out) writeFileSync(out, report);
}

/** Runs a benchmark's main; any failure sets the exit code, and every spawned process is killed. */
export function runBench(main: () => Promise<void>): void {
  main()
    .catch((e: unknown) => {
      log(`failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      process.exitCode = 1;
    })
    .finally(() => killAll());
}
