import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';

/**
 * The web console at `/`: static files copied next to the compiled API by
 * services/control-api/console/build.mjs (hls.js included, from node_modules). Returns false
 * when they are missing (a build without the console step).
 */
export function serveConsole(app: NestExpressApplication): boolean {
  const dir = join(__dirname, '..', '..', 'console');
  if (!existsSync(join(dir, 'index.html'))) return false;
  app.useStaticAssets(dir, { index: 'index.html', maxAge: 0, fallthrough: true });
  return true;
}
