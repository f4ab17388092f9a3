/**
 * Writes the dashboards as JSON for provisioning and the Helm chart's Grafana sidecar:
 *   npx tsc -p deploy/grafana/tsconfig.json && node dist/deploy/grafana/generate.js [outDir]
 * outDir defaults to deploy/grafana/dashboards; the chart embeds copies under
 * helm/streamgate/files/dashboards (test/deploy/grafana-dashboards.test.ts keeps all in step).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { overviewDashboard } from './overview';
import { streamDashboard } from './stream';

const DASHBOARDS = { overview: overviewDashboard, stream: streamDashboard };

function renderDashboard(build: () => object): string {
  return `${JSON.stringify(build(), null, 2)}\n`;
}

function main(outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  for (const [name, build] of Object.entries(DASHBOARDS)) {
    const file = join(outDir, `${name}.json`);
    writeFileSync(file, renderDashboard(build));
    console.log(`wrote ${file}`);
  }
}

main(resolve(process.argv[2] ?? join(__dirname, '..', '..', '..', 'deploy', 'grafana', 'dashboards')));
