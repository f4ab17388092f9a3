import { parseAllDocuments } from 'yaml';
import { HELM, ToolResult, repoPath, runTool } from './repo';

export const CHART = repoPath('helm', 'streamgate');

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

export interface RenderOptions {
  readonly valuesFiles?: readonly string[];
  readonly set?: readonly string[];
  readonly setJson?: readonly string[];
}

function valueArgs(o: RenderOptions): string[] {
  return [
    ...(o.valuesFiles ?? []).flatMap((f) => ['-f', f]),
    ...(o.set ?? []).flatMap((s) => ['--set', s]),
    ...(o.setJson ?? []).flatMap((s) => ['--set-json', s]),
  ];
}

/** `helm template` with the shipped helm and no --kube-version: what a user types must render. */
export function helmTemplate(o: RenderOptions = {}): ToolResult {
  return runTool(HELM, ['template', 'rel', CHART, '--namespace', 'video', ...valueArgs(o)]);
}

export function helmLint(o: RenderOptions = {}): ToolResult {
  return runTool(HELM, ['lint', '--strict', CHART, ...valueArgs(o)]);
}

/** Renders the chart and parses every manifest; throws with helm's message when it fails. */
export function render(o: RenderOptions = {}): Manifest[] {
  const r = helmTemplate(o);
  if (r.code !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

export interface ValidationResult {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly error: string | null;
}

/** Validates manifests against the Kubernetes and Prometheus Operator schemas, offline. */
export function validateManifests(manifests: readonly Manifest[]): ValidationResult[] {
  const r = runTool(process.execPath, [repoPath('test', 'deploy', 'support', 'validate-k8s.mjs')], JSON.stringify(manifests));
  if (r.code !== 0) throw new Error(`validate-k8s.mjs failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ValidationResult[];
}
