// Validates Kubernetes manifests offline against the OpenAPI schemas of current Kubernetes
// (kubernetes-models 4.5, which installs on Node 20) and the Prometheus Operator CRDs (@kubernetes-models/prometheus-operator).
// Those packages are ESM-only, so the CommonJS tests run this as a child process:
//   stdin: JSON array of manifests; stdout: JSON array of {apiVersion, kind, name, error}.
import { readFileSync } from 'node:fs';

/** The model module of an apiVersion: core "v1", "group/version", or the operator CRDs. */
function modelModule(apiVersion) {
  if (apiVersion === 'v1') return 'kubernetes-models/v1';
  if (apiVersion.startsWith('monitoring.coreos.com/')) return `@kubernetes-models/prometheus-operator/${apiVersion}`;
  return `kubernetes-models/${apiVersion}`;
}

const manifests = JSON.parse(readFileSync(0, 'utf8'));
const results = [];
for (const m of manifests) {
  const result = { apiVersion: m.apiVersion, kind: m.kind, name: m.metadata?.name, error: null };
  try {
    const models = await import(modelModule(m.apiVersion));
    const Model = models[m.kind];
    if (typeof Model !== 'function') throw new Error(`${m.apiVersion} ${m.kind} is not a known kind`);
    new Model(m).validate();
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
  }
  results.push(result);
}
process.stdout.write(JSON.stringify(results));
