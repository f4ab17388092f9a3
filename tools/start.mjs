// `npm start`: builds only when a source changed since the last build (tools/source-stamp.mjs),
// saying so while it builds, then runs the all-in-one gateway in this process, which prints one
// ready block with every URL once every listener is open.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT, sourceStamp, writtenStamp } from './source-stamp.mjs';

const MAIN = join(ROOT, 'dist', 'services', 'all-in-one.js');

function build(reason) {
  // Tests time the start of a built tree: a build there would rewrite the dist/ other tests run.
  if (process.env.STREAMGATE_START_NO_BUILD === '1') throw new Error(`a build is needed (${reason}) but STREAMGATE_START_NO_BUILD=1; run npm run build`);
  const started = Date.now();
  process.stdout.write(`streamgate: building (${reason}); the next start skips this while sources stay the same\n`);
  const seconds = () => ((Date.now() - started) / 1000).toFixed(0);
  const progress = setInterval(() => process.stdout.write(`streamgate: still building… ${seconds()} s\n`), 5000);
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(progress);
      if (code === 0) {
        process.stdout.write(`streamgate: built in ${seconds()} s\n`);
        resolve();
      } else reject(new Error(`npm run build exited with ${code}`));
    });
  });
}

try {
  const stamp = writtenStamp();
  if (!existsSync(MAIN) || stamp === undefined) await build('no build yet');
  else if (stamp !== sourceStamp()) await build('sources changed');
} catch (err) {
  process.stderr.write(`streamgate: ${err.message}\n`);
  process.exit(1);
}
createRequire(import.meta.url)(MAIN).main();
