import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Manifest, helmTemplate, render } from './support/helm';

/** Issue 12: the chart's TLS (Secret or cert-manager) and secrets-at-rest key. */
interface EnvVar { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }
interface Container { env?: EnvVar[]; ports?: { name: string; containerPort: number }[]; volumeMounts?: { name: string; mountPath: string; subPath?: string }[] }
interface Pod { containers: Container[]; volumes?: { name: string; secret?: { secretName: string } }[] }

const pod = (ms: Manifest[], component: string): Pod =>
  (ms.find((m) => m.kind === 'Deployment' && m.metadata.name === `rel-streamgate-${component}`)?.spec as unknown as { template: { spec: Pod } }).template.spec;
const envOf = (p: Pod): Map<string, EnvVar> => new Map((p.containers[0].env ?? []).map((e) => [e.name, e]));
const KEY = 'ab'.repeat(32);

test('tls with cert-manager: a Certificate writes <fullname>-tls; ingest, rtsp-egress and control-api mount it and get TLS_* env and RTSPS/RTMPS ports', () => {
  const ms = render({ set: ['tls.enabled=true', 'tls.certManager.enabled=true', 'tls.certManager.issuerRef.name=letsencrypt', 'tls.certManager.dnsNames[0]=gw.example.com'] });
  const cert = ms.find((m) => m.kind === 'Certificate');
  assert.ok(cert, 'Certificate rendered');
  const spec = cert.spec as { secretName: string; dnsNames: string[]; issuerRef: { name: string; kind: string } };
  assert.equal(spec.secretName, 'rel-streamgate-tls');
  assert.deepEqual(spec.dnsNames, ['gw.example.com']);
  assert.deepEqual(spec.issuerRef, { name: 'letsencrypt', kind: 'ClusterIssuer' });
  for (const component of ['ingest', 'rtsp-egress', 'control-api']) {
    const p = pod(ms, component);
    const env = envOf(p);
    assert.equal(env.get('TLS_CERT_FILE')?.value, '/etc/streamgate/tls/tls.crt', component);
    assert.equal(env.get('TLS_KEY_FILE')?.value, '/etc/streamgate/tls/tls.key', component);
    const mount = p.containers[0].volumeMounts?.find((v) => v.name === 'tls');
    assert.equal(mount?.mountPath, '/etc/streamgate/tls', component);
    assert.equal(mount?.subPath, undefined, `${component}: no subPath, so a renewed Secret reaches the pod`);
    assert.equal(p.volumes?.find((v) => v.name === 'tls')?.secret?.secretName, 'rel-streamgate-tls', component);
  }
  assert.ok(pod(ms, 'ingest').containers[0].ports?.some((x) => x.name === 'rtmps' && x.containerPort === 1936));
  assert.ok(pod(ms, 'rtsp-egress').containers[0].ports?.some((x) => x.name === 'rtsps' && x.containerPort === 8322));
  const svcPorts = (name: string): number[] => ((ms.find((m) => m.kind === 'Service' && m.metadata.name === name)?.spec?.ports ?? []) as { port: number }[]).map((x) => x.port);
  assert.ok(svcPorts('rel-streamgate-ingest').includes(1936));
  assert.ok(svcPorts('rel-streamgate-rtsp-egress').includes(8322));
  assert.equal(envOf(pod(ms, 'packetizer')).get('TLS_CERT_FILE'), undefined, 'the packetizer has no TLS listener');
});

test('tls with an existing kubernetes.io/tls Secret: mounted by name, no Certificate', () => {
  const ms = render({ set: ['tls.enabled=true', 'tls.secretName=gw-tls'] });
  assert.equal(ms.find((m) => m.kind === 'Certificate'), undefined);
  assert.equal(pod(ms, 'rtsp-egress').volumes?.find((v) => v.name === 'tls')?.secret?.secretName, 'gw-tls');
});

test('tls off (default): no TLS env, mounts or ports', () => {
  const ms = render();
  for (const component of ['ingest', 'rtsp-egress', 'control-api']) {
    assert.equal(envOf(pod(ms, component)).get('TLS_CERT_FILE'), undefined);
    assert.equal(pod(ms, component).volumes?.find((v) => v.name === 'tls'), undefined);
  }
});

test('SECRETS_KEY: every component reads it from the Secret; a given key is stored as given', () => {
  const ms = render({ set: [`secretsKey=${KEY}`] });
  const secret = ms.find((m) => m.kind === 'Secret' && m.metadata.name === 'rel-streamgate');
  assert.equal(Buffer.from(String((secret as unknown as { data: Record<string, string> }).data.SECRETS_KEY), 'base64').toString(), KEY);
  for (const component of ['ingest', 'packetizer', 'rtsp-egress', 'control-api']) {
    assert.deepEqual(envOf(pod(ms, component)).get('SECRETS_KEY')?.valueFrom?.secretKeyRef, { name: 'rel-streamgate', key: 'SECRETS_KEY', optional: true }, component);
  }
  // Without a key one is generated: 32 random bytes, base64.
  const generated = render().find((m) => m.kind === 'Secret') as unknown as { data: Record<string, string> };
  assert.equal(Buffer.from(Buffer.from(generated.data.SECRETS_KEY, 'base64').toString(), 'base64').byteLength, 32);
});

for (const [what, set, message] of [
  ['tls without a certificate source', ['tls.enabled=true'], /tls.enabled needs tls.secretName/],
  ['cert-manager without an issuer', ['tls.enabled=true', 'tls.certManager.enabled=true'], /needs tls.certManager.issuerRef.name/],
  ['a malformed secretsKey', ['secretsKey=short'], /secretsKey/],
] as const) {
  test(`the chart refuses ${what}`, () => {
    const r = helmTemplate({ set: [...set] });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, message);
  });
}
