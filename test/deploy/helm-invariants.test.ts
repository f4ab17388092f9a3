import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CHART, Manifest, helmTemplate, render } from './support/helm';

const PRODUCTION = join(CHART, 'ci', 'production-values.yaml');
const COMPONENTS = ['control-api', 'hls-egress', 'ingest', 'packetizer', 'rtsp-egress'];
const CAMERA_PASSWORD = 'Cam-Pa55word-xyz';
const API_KEY = 'api-key-0123456789';

interface Probe { httpGet?: { path?: string; port?: string | number } }
interface SecurityContext { runAsNonRoot?: boolean; runAsUser?: number; readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[] } }
interface Container { name: string; livenessProbe?: Probe; readinessProbe?: Probe; securityContext?: SecurityContext; resources?: { requests?: object } }
interface PodSpec { securityContext?: SecurityContext; containers: Container[] }
interface DeploymentSpec { replicas?: number; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } }
interface ServicePort { name: string; port: number; protocol: string; nodePort?: number }

const renders: [string, Manifest[]][] = [
  ['default values', render()],
  ['production values', render({ valuesFiles: [PRODUCTION] })],
  ['credentials given', render({ set: [`apiKey=${API_KEY}`], setJson: [`cameraCredentials=[{"name":"gate","username":"admin","password":"${CAMERA_PASSWORD}"}]`] })],
];
const ofKind = (ms: Manifest[], kind: string) => ms.filter((m) => m.kind === kind);
const named = (ms: Manifest[], kind: string, name: string) => ms.find((m) => m.kind === kind && m.metadata.name === name);
const servicePorts = (svc: Manifest | undefined) => ((svc?.spec?.ports ?? []) as ServicePort[]).map((p) => `${p.port}/${p.protocol}`);

for (const [name, manifests] of renders) {
  test(`${name}: every container has liveness and readiness probes and runs non-root with a read-only root`, () => {
    const deployments = ofKind(manifests, 'Deployment');
    assert.equal(deployments.length, 5);
    for (const d of deployments) {
      const pod = (d.spec as unknown as DeploymentSpec).template.spec;
      assert.equal(pod.securityContext?.runAsNonRoot, true, `${d.metadata.name}: pod runAsNonRoot`);
      for (const c of pod.containers) {
        const where = `${d.metadata.name}/${c.name}`;
        assert.ok(c.livenessProbe?.httpGet?.path, `${where}: liveness probe`);
        assert.ok(c.readinessProbe?.httpGet?.path, `${where}: readiness probe`);
        const sc = c.securityContext;
        assert.equal(sc?.runAsNonRoot, true, `${where}: runAsNonRoot`);
        assert.notEqual(sc?.runAsUser, 0, `${where}: not uid 0`);
        assert.equal(sc?.readOnlyRootFilesystem, true, `${where}: readOnlyRootFilesystem`);
        assert.equal(sc?.allowPrivilegeEscalation, false, `${where}: allowPrivilegeEscalation`);
        assert.deepEqual(sc?.capabilities?.drop, ['ALL'], `${where}: drop ALL capabilities`);
        assert.ok(c.resources?.requests, `${where}: resource requests`);
      }
    }
  });

  test(`${name}: standard labels everywhere, component labels on workloads and pods`, () => {
    for (const m of manifests) {
      const labels = m.metadata.labels ?? {};
      for (const key of ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/managed-by', 'helm.sh/chart']) {
        assert.ok(labels[key], `${m.kind}/${m.metadata.name}: label ${key}`);
      }
    }
    for (const kind of ['Deployment', 'PodDisruptionBudget']) {
      assert.deepEqual(ofKind(manifests, kind).map((m) => m.metadata.labels?.['app.kubernetes.io/component']).sort(), COMPONENTS, kind);
    }
    for (const d of ofKind(manifests, 'Deployment')) {
      const spec = d.spec as unknown as DeploymentSpec;
      assert.equal(spec.template.metadata.labels['app.kubernetes.io/component'], d.metadata.labels?.['app.kubernetes.io/component']);
    }
  });

  test(`${name}: no secret values in any ConfigMap`, () => {
    for (const cm of ofKind(manifests, 'ConfigMap')) {
      const data = JSON.stringify(cm.data ?? {});
      assert.doesNotMatch(data, /\\"[a-z_]*password[a-z_]*\\"\s*:/i, `${cm.metadata.name}: a password key`);
      assert.doesNotMatch(data, /[a-z]+:\/\/[^/@\s"]+:[^/@\s"]*@/i, `${cm.metadata.name}: a user:pass@ URL`);
      assert.ok(!data.includes(CAMERA_PASSWORD) && !data.includes(API_KEY), `${cm.metadata.name}: a secret value`);
      for (const secretVar of ['API_KEY', 'NATS_URL', 'REDIS_URL']) assert.ok(!data.includes(`"${secretVar}"`), `${cm.metadata.name}: ${secretVar}`);
    }
  });

  test(`${name}: the egress Service exposes RTSP 8554/TCP and the UDP RTP/RTCP pair; ingest exposes RTMP 1935/TCP`, () => {
    assert.deepEqual(servicePorts(named(manifests, 'Service', 'rel-streamgate-rtsp-egress')), ['8554/TCP', '8000/UDP', '8001/UDP']);
    assert.deepEqual(servicePorts(named(manifests, 'Service', 'rel-streamgate-ingest')), ['1935/TCP']);
    for (const c of COMPONENTS) assert.deepEqual(servicePorts(named(manifests, 'Service', `rel-streamgate-${c}-metrics`)), ['9464/TCP'], c);
    assert.equal(named(manifests, 'Service', 'rel-streamgate-packetizer'), undefined, 'the packetizer has no public Service');
  });
}

test('credentials go to the Secret; the control API mounts cameras.json and reads API_KEY from it', () => {
  const manifests = renders[2][1];
  const secret = named(manifests, 'Secret', 'rel-streamgate');
  assert.ok(secret);
  const decoded = Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
  assert.equal(decoded.API_KEY, API_KEY);
  assert.deepEqual(JSON.parse(decoded['cameras.json']), { streams: [{ name: 'gate', username: 'admin', password: CAMERA_PASSWORD }] });
  assert.equal(decoded.NATS_URL, 'nats://nats:4222');
  const api = named(manifests, 'Deployment', 'rel-streamgate-control-api');
  assert.ok(JSON.stringify(api).includes('"key":"API_KEY"'));
  assert.ok(JSON.stringify(api).includes('/etc/streamgate/secrets'));
});

test('production: LoadBalancer Services, ingest HPA from 3 replicas, existingSecret, ServiceMonitor and PrometheusRule', () => {
  const manifests = renders[1][1];
  for (const c of ['ingest', 'rtsp-egress', 'control-api']) assert.equal(named(manifests, 'Service', `rel-streamgate-${c}`)?.spec?.type, 'LoadBalancer', c);
  const hpa = ofKind(manifests, 'HorizontalPodAutoscaler');
  assert.deepEqual(hpa.map((h) => h.metadata.name), ['rel-streamgate-ingest']);
  assert.equal(hpa[0].spec?.minReplicas, 3);
  assert.equal((named(manifests, 'Deployment', 'rel-streamgate-ingest')?.spec as unknown as DeploymentSpec).replicas, undefined, 'the HPA owns the replica count');
  assert.equal(ofKind(manifests, 'Secret').length, 0, 'no chart Secret with existingSecret');
  assert.ok(JSON.stringify(ofKind(manifests, 'Deployment')).includes('"name":"streamgate-credentials"'));
  assert.equal(ofKind(manifests, 'ServiceMonitor').length, 1);
  assert.equal(ofKind(manifests, 'PrometheusRule').length, 1);
});

test('ServiceMonitor and PrometheusRule render only when enabled', () => {
  const defaults = renders[0][1];
  assert.equal(ofKind(defaults, 'ServiceMonitor').length, 0);
  assert.equal(ofKind(defaults, 'PrometheusRule').length, 0);
  const on = render({ set: ['metrics.serviceMonitor.enabled=true'] });
  const [sm] = ofKind(on, 'ServiceMonitor');
  assert.ok(sm);
  assert.equal(ofKind(on, 'PrometheusRule').length, 0);
  const selected = ofKind(on, 'Service').filter((s) => s.metadata.labels?.['app.kubernetes.io/metrics'] === 'true');
  assert.equal(selected.length, 5, 'the ServiceMonitor selects the five metrics Services');
});

test('NodePort: the UDP pair keeps its numbers, which must be in the node port range', () => {
  const manifests = render({ set: ['rtspEgress.service.type=NodePort', 'rtspEgress.containerPorts.rtp=30500'] });
  const ports = named(manifests, 'Service', 'rel-streamgate-rtsp-egress')?.spec?.ports as ServicePort[];
  assert.deepEqual(ports.filter((p) => p.protocol === 'UDP').map((p) => [p.port, p.nodePort]), [[30500, 30500], [30501, 30501]]);
  const env = JSON.stringify(named(manifests, 'Deployment', 'rel-streamgate-rtsp-egress'));
  assert.ok(env.includes('{"name":"RTSP_UDP_RTP_PORT","value":"30500"}'));
});

const refused: [string, { set?: string[]; setJson?: string[] }, RegExp][] = [
  ['a password key in streamsConfig', { setJson: ['streamsConfig={"streams":[{"name":"gate","rtsp_url":"rtsp://10.0.0.5/live","password":"x"}]}'] }, /streamsConfig: a "password" key/],
  ['a user:pass@ URL in streamsConfig', { setJson: ['streamsConfig={"streams":[{"name":"gate","rtsp_url":"rtsp://admin:secret@10.0.0.5/live"}]}'] }, /streamsConfig: a URL with user:password@/],
  ['no NATS at all', { set: ['externalNats.url='] }, /NATS is required/],
  ['no Redis at all', { set: ['externalRedis.url='] }, /Redis is required/],
  ['a short API key', { set: ['apiKey=short'] }, /apiKey must be at least 8 characters/],
  ['an odd RTP port', { set: ['rtspEgress.containerPorts.rtp=8001'] }, /must be even/],
  ['NodePort with the UDP pair outside the node port range', { set: ['rtspEgress.service.type=NodePort'] }, /node port range/],
  ['a secret in a component env', { set: ['ingest.env.REDIS_URL=redis://x:6379'] }, /REDIS_URL is a secret/],
  ['autoscaling min above max', { set: ['ingest.autoscaling.enabled=true', 'ingest.autoscaling.minReplicas=5', 'ingest.autoscaling.maxReplicas=2'] }, /minReplicas must not exceed maxReplicas/],
  ['nats.enabled with the offline placeholder chart', { set: ['nats.enabled=true'] }, /needs the real nats chart.*helm dependency update/],
  ['redis.enabled with the offline placeholder chart', { set: ['redis.enabled=true'] }, /needs the real redis chart.*helm dependency update/],
];
for (const [what, values, message] of refused) {
  test(`validateValues fails fast with a clear message: ${what}`, () => {
    const r = helmTemplate(values);
    assert.notEqual(r.code, 0, 'helm template should fail');
    assert.match(r.stderr, message);
  });
}

test('rtsp-egress rolling updates: preStop sleep, SHUTDOWN_DRAIN_MS and a grace period that covers both (issue 13)', () => {
  for (const [name, manifests] of renders) {
    const egress = ofKind(manifests, 'Deployment').find((d) => d.metadata.name.endsWith('rtsp-egress'));
    assert.ok(egress, name);
    const pod = (egress.spec as unknown as { template: { spec: { terminationGracePeriodSeconds: number; containers: {
      lifecycle?: { preStop?: { exec?: { command?: string[] } } }; env?: { name: string; value?: string }[] }[] } } }).template.spec;
    const c = pod.containers[0];
    const sleep = Number(c.lifecycle?.preStop?.exec?.command?.[1]);
    const drainMs = Number(c.env?.find((e) => e.name === 'SHUTDOWN_DRAIN_MS')?.value);
    assert.ok(sleep > 0, `${name}: preStop sleep`);
    assert.ok(drainMs > 0, `${name}: SHUTDOWN_DRAIN_MS`);
    assert.ok(pod.terminationGracePeriodSeconds >= sleep + drainMs / 1000 + 5, `${name}: grace ${pod.terminationGracePeriodSeconds} s covers preStop ${sleep} s + drain ${drainMs} ms`);
  }
  const bad = helmTemplate({ set: ['rtspEgress.drainSeconds=40'] });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /terminationGracePeriodSeconds \(30\) must be at least/);
});
