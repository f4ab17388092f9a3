import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CHART, Manifest } from './support/helm';
import { HELM, repoPath, runTool } from './support/repo';

/** The `helm install ...` command of the top-level README, continuation lines joined, split into words. */
function readmeHelmInstall(): string[] {
  const readme = readFileSync(repoPath('README.md'), 'utf8');
  const block = /```sh\n(helm install [^`]*?)```/.exec(readme);
  assert.ok(block, 'README.md has a ```sh block starting with helm install');
  const line = block[1].replace(/\\\n\s*/g, ' ').trim();
  assert.doesNotMatch(line, /\n/, 'the block is one command');
  return line.split(/\s+/);
}

function manifestsOf(stdout: string): Manifest[] {
  return parseAllDocuments(stdout).map((d) => d.toJS() as Manifest | null).filter((m): m is Manifest => m !== null);
}

test('the README helm install line renders with the shipped helm, no extra flag, with its image settings', () => {
  const words = readmeHelmInstall();
  assert.deepEqual(words.slice(0, 4), ['helm', 'install', 'sg', 'helm/streamgate']);
  assert.ok(!words.includes('--kube-version'), 'no --kube-version needed');
  const sets = new Map(words.flatMap((w, i) => (words[i - 1] === '--set' ? [w.split('=') as [string, string]] : [])));
  for (const key of ['image.registry', 'image.repository', 'image.tag']) assert.ok(sets.get(key), `the README sets ${key}`);
  // helm install needs a cluster; helm template renders the same manifests offline.
  const r = runTool(HELM, ['template', ...words.slice(2)]);
  assert.equal(r.code, 0, r.stderr);
  const deployments = manifestsOf(r.stdout).filter((m) => m.kind === 'Deployment');
  assert.equal(deployments.length, 5);
  for (const d of deployments) {
    const component = d.metadata.labels?.['app.kubernetes.io/component'];
    const pod = (d.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec;
    assert.equal(pod.containers[0].image, `${sets.get('image.registry')}/${sets.get('image.repository')}-${component}:${sets.get('image.tag')}`);
  }
});

test('helm template sg helm/streamgate and helm lint --strict pass with the shipped helm and no flag', () => {
  const r = runTool(HELM, ['template', 'sg', CHART]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(manifestsOf(r.stdout).length >= 14);
  const lint = runTool(HELM, ['lint', '--strict', CHART]);
  assert.equal(lint.code, 0, lint.stdout + lint.stderr);
});

/**
 * NOTES.txt is only rendered by `helm install` (a cluster): render it offline by wrapping a
 * copy of it in a ConfigMap of a copy of the chart.
 */
function renderNotes(args: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'sg-notes-'));
  try {
    const chart = join(dir, 'streamgate');
    cpSync(CHART, chart, { recursive: true });
    const notes = readFileSync(join(chart, 'templates', 'NOTES.txt'), 'utf8');
    rmSync(join(chart, 'templates', 'NOTES.txt'));
    writeFileSync(join(chart, 'templates', 'zz-notes.yaml'),
      `{{- define "test.notes" }}${notes}{{ end }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  NOTES.txt: {{ include "test.notes" . | toJson }}\n`);
    const r = runTool(HELM, ['template', 'sg', chart, '--namespace', 'video', ...args]);
    assert.equal(r.code, 0, r.stderr);
    const cm = manifestsOf(r.stdout).find((m) => m.kind === 'ConfigMap' && m.metadata.name === 'notes');
    assert.ok(cm?.data?.['NOTES.txt']);
    return cm.data['NOTES.txt'];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('NOTES.txt prints the RTMP, RTSP, HLS, API, console and metrics URLs', () => {
  const notes = renderNotes(['--set', 'publicHost=video.example.com']);
  assert.match(notes, /rtmp:\/\/video\.example\.com:1935\/live\/<key>/);
  assert.match(notes, /rtsp:\/\/video\.example\.com:8554\/<name>/);
  assert.match(notes, /http:\/\/video\.example\.com:8888\/<name>\/index\.m3u8/);
  assert.match(notes, /port-forward -n video svc\/sg-streamgate-hls-egress 8888:8888/);
  assert.match(notes, /http:\/\/video\.example\.com:5001\/api\/health/);
  assert.match(notes, /http:\/\/video\.example\.com:5001\/\n/, 'web console');
  assert.match(notes, /http:\/\/127\.0\.0\.1:9464\/metrics/);
  assert.match(notes, /port-forward -n video svc\/sg-streamgate-ingest-metrics 9464:9464/);
  const lb = renderNotes(['--set', 'ingest.service.type=LoadBalancer']);
  assert.match(lb, /rtmp:\/\/\$\(kubectl get svc -n video sg-streamgate-ingest /);
});
