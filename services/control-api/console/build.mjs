// Part of `npm run build` / `build:prod`: copies the web console and the hls.js player (from
// node_modules, never a CDN) next to the compiled control API, where it serves them from.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const out = join(root, 'dist', 'services', 'control-api', 'console');
mkdirSync(join(out, 'vendor'), { recursive: true });
for (const f of readdirSync(here)) if (/\.(html|js|css)$/.test(f)) copyFileSync(join(here, f), join(out, f));
const require = createRequire(import.meta.url);
const hlsDist = dirname(require.resolve('hls.js'));
copyFileSync(join(hlsDist, 'hls.min.js'), join(out, 'vendor', 'hls.min.js'));
