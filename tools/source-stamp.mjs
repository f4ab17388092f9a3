// The build's source stamp: one hash of the path, size and mtime of every file `npm run build`
// reads (TypeScript and C sources, manifests, tsconfigs, the dashboard generator). `npm start`
// rebuilds only when it differs from the stamp the last build wrote to dist/.source-stamp.
//   node tools/source-stamp.mjs write   (the last step of npm run build)
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const STAMP_FILE = join(ROOT, 'dist', '.source-stamp');

/** Folders whose files the build reads, and files at the root it reads. */
const SOURCE_DIRS = ['libs', 'services', 'test', join('deploy', 'grafana', 'src'), 'tools'];
const ROOT_FILES = ['package.json', 'package-lock.json', 'tsconfig.base.json', 'tsconfig.build.json', join('deploy', 'grafana', 'tsconfig.json')];
// __pycache__: Python writes it beside the GStreamer test helpers when tests run (libs/testing/python),
// after the build; counting it made a later `npm start` see changed sources (CI, second npm start).
const SKIP_DIRS = new Set(['node_modules', 'build', 'dist', '.nx', '__pycache__']);

function walk(dir, out) {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) walk(join(dir, entry.name), out);
    } else if (entry.isFile()) out.push(join(dir, entry.name));
  }
  return out;
}

/** The stamp of the tree under `root` now. */
export function sourceStamp(root = ROOT) {
  const files = [...SOURCE_DIRS.flatMap((d) => walk(join(root, d), [])), ...ROOT_FILES.map((f) => join(root, f)).filter((f) => existsSync(f))].sort();
  const hash = createHash('sha256');
  for (const f of files) {
    const s = statSync(f);
    hash.update(`${relative(root, f)}\0${s.size}\0${s.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

export function writtenStamp(file = STAMP_FILE) {
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

export function writeStamp(stamp, file = STAMP_FILE) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${stamp}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'write') writeStamp(sourceStamp());
