import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Manifest, render } from './support/helm';

/** Issue #12: users and permissions from the Helm values go to the Secret and reach every component. */
const USER_PASSWORD = 'Us3r-Pa55-helm';
const USERS = JSON.stringify([
  { user: 'ops', pass: USER_PASSWORD, permissions: [{ action: 'api' }, { action: 'metrics' }] },
  { user: 'any', permissions: [{ action: 'read', path: '~^yard' }] },
]);

interface Container { env?: Array<{ name: string; value?: string }>; volumeMounts?: Array<{ name: string; mountPath: string }> }
interface Pod { containers: Container[]; volumes?: Array<{ name: string; secret?: { secretName: string; items?: Array<{ key: string }> } }> }
const pods = (ms: Manifest[]): Pod[] => ms.filter((m) => m.kind === 'Deployment').map((d) => (d.spec as unknown as { template: { spec: Pod } }).template.spec);
const env = (c: Container, name: string): string | undefined => c.env?.find((e) => e.name === name)?.value;

test('access.users: users.json in the Secret (never a ConfigMap), AUTH_USERS and the mount in all five components', () => {
  const ms = render({ setJson: [`access.users=${USERS}`], set: ['access.jwtJwksUrl=https://idp.example.com/jwks.json'] });
  const secret = ms.find((m) => m.kind === 'Secret');
  const users = JSON.parse(Buffer.from(String(secret?.data?.['users.json']), 'base64').toString('utf8')) as { users: unknown[] };
  assert.deepEqual(users, { users: JSON.parse(USERS) });
  for (const cm of ms.filter((m) => m.kind === 'ConfigMap')) assert.ok(!JSON.stringify(cm).includes(USER_PASSWORD), 'no password in a ConfigMap');
  const all = pods(ms);
  assert.equal(all.length, 5);
  for (const pod of all) {
    const c = pod.containers[0];
    assert.equal(env(c, 'AUTH_USERS'), '/etc/streamgate/access/users.json');
    assert.equal(env(c, 'AUTH_JWT_JWKS_URL'), 'https://idp.example.com/jwks.json');
    assert.equal(env(c, 'OPS_HEALTHZ_PUBLIC'), 'true');
    assert.ok(c.volumeMounts?.some((v) => v.name === 'access' && v.mountPath === '/etc/streamgate/access'));
    assert.deepEqual(pod.volumes?.find((v) => v.name === 'access')?.secret?.items?.map((i) => i.key), ['users.json']);
    assert.ok(!JSON.stringify(pod).includes(USER_PASSWORD), 'the password is not in the pod spec');
  }
});

test('no users: no AUTH_USERS, no access volume (the gateway stays open)', () => {
  for (const pod of pods(render())) {
    assert.equal(env(pod.containers[0], 'AUTH_USERS'), undefined);
    assert.ok(!pod.volumes?.some((v) => v.name === 'access'));
  }
});

test('existingSecret with usersInExistingSecret mounts its users.json', () => {
  const ms = render({ set: ['existingSecret=mine', 'access.usersInExistingSecret=true'] });
  for (const pod of pods(ms)) {
    assert.equal(env(pod.containers[0], 'AUTH_USERS'), '/etc/streamgate/access/users.json');
    assert.equal(pod.volumes?.find((v) => v.name === 'access')?.secret?.secretName, 'mine');
  }
});
