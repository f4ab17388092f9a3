// Compiles src/udp_fanout.c with node-gyp (part of `npm run build`) and copies the module
// beside the compiled JS in dist/. Optional by design: when it cannot be built (not Linux, no
// compiler, no Node headers) this prints why and exits 0, and the gateway sends UDP with
// node:dgram instead. STREAMGATE_NATIVE_UDP=off skips it.
//
// Node's headers: npm's `nodedir` setting when npm runs this, else the headers installed beside
// this node binary (<prefix>/include/node), so node-gyp never needs to download them.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const built = join(here, 'build', 'Release', 'udp_fanout.node');
const copy = join(root, 'dist', 'libs', 'native-udp', 'build', 'Release', 'udp_fanout.node');
const sources = [join(here, 'src', 'udp_fanout.c'), join(here, 'src', 'udp_receive.c'), join(here, 'binding.gyp')];

function skip(reason) {
  // A module left in dist/ by an earlier build would be loaded instead: remove it.
  rmSync(copy, { force: true });
  console.warn(`native-udp: not built (${reason}); UDP readers are served through node:dgram`);
  process.exit(0);
}

if (process.env.STREAMGATE_NATIVE_UDP === 'off') skip('STREAMGATE_NATIVE_UDP=off');
if (process.platform !== 'linux') skip(`sendmmsg is Linux-only, this is ${process.platform}`);

const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);
const upToDate = existsSync(built) && sources.every((s) => mtime(s) <= mtime(built));
if (!upToDate) {
  // npm tells scripts where its own node-gyp is; outside npm, look beside this node's npm.
  const prefix = join(dirname(process.execPath), '..');
  const bundled = join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const gyp = process.env.npm_config_node_gyp || (existsSync(bundled) ? bundled : undefined);
  const [cmd, pre] = gyp ? [process.execPath, [gyp]] : ['node-gyp', []];
  const args = [...pre, 'rebuild', '--loglevel=warn'];
  const nodedir = process.env.npm_config_nodedir
    || (existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined);
  if (nodedir) args.push(`--nodedir=${nodedir}`);
  const run = spawnSync(cmd, args, { cwd: here, encoding: 'utf8', timeout: 120_000 });
  if (run.error || run.status !== 0) {
    const output = `${run.stdout ?? ''}${run.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    if (output) console.warn(output);
    skip(run.error ? `${cmd}: ${run.error.message}` : `node-gyp exited ${run.status}`);
  }
}
mkdirSync(dirname(copy), { recursive: true });
copyFileSync(built, copy);
