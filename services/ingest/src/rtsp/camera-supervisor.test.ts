import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { StreamConfig, registryKey } from '@streamgate/contracts';
import { InProcessBus, MemoryStateStore, SecretBox, createLogger, encodeStreamConfig } from '@streamgate/platform';
import { CameraSupervisor } from './camera-supervisor';
import { UdpPortPairAllocator } from './udp-port-pair';

const entry = (password: string): StreamConfig => StreamConfig.parse({
  name: 'gate', rtsp_url: 'rtsp://127.0.0.1:9/main', username: 'viewer', password, enabled: false, created_at: 1, updated_at: 1,
});

test('ownership rounds read the registry every time but decode an entry again only when its stored text changed', async () => {
  const box = new SecretBox(randomBytes(32));
  let opened = 0;
  const counting = Object.assign(Object.create(box) as SecretBox, { open: (v: string) => (opened++, box.open(v)) });
  const store = new MemoryStateStore();
  const bus = new InProcessBus();
  await store.set(registryKey('gate'), encodeStreamConfig(entry('first-secret'), box));
  const supervisor = new CameraSupervisor({
    bus, store, logger: createLogger({ service: 'camera-supervisor-test', level: 'silent' }), udpPorts: new UdpPortPairAllocator(),
    defaultTransport: 'tcp', mediaTimeoutMs: 5000, requestTimeoutMs: 5000, tickMs: 60_000, secrets: counting,
  });
  try {
    await supervisor.start();
    const afterFirst = opened;
    assert.ok(afterFirst > 0, 'the first round opens the sealed credentials');
    await supervisor.reconcile();
    await supervisor.reconcile();
    assert.equal(opened, afterFirst, 'unchanged entry: not opened again');
    await store.set(registryKey('gate'), encodeStreamConfig(entry('second-secret'), box));
    await supervisor.reconcile();
    assert.ok(opened > afterFirst, 'changed entry: decoded again');
    assert.deepEqual(supervisor.pulling(), [], 'a disabled camera is not pulled');
  } finally {
    await supervisor.stop();
    await bus.close();
  }
});
