import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AccessControl, ConfigSchema, InProcessBus, MemoryStateStore, createLogger } from '@streamgate/platform';
import { BusPublishGate } from './bus-publish-gate';
import { StorePublisherRegistry } from './store-publisher-registry';

describe('BusPublishGate', () => {
  test('a publish that fails after its claim releases the key', async () => {
    const store = new MemoryStateStore();
    const registry = new StorePublisherRegistry(store);
    registry.nextGeneration = () => Promise.reject(new Error('store down'));
    const logger = createLogger({ service: 'test', level: 'silent' });
    const gate = new BusPublishGate({
      bus: new InProcessBus(), store, logger, registry, requireKnownKeys: false,
      access: new AccessControl(ConfigSchema.parse({}), logger, undefined), sourceNamesShared: false,
    });
    const request = { stream: 'cam', app: 'live', sessionId: 'a', disconnect: () => undefined, ip: '127.0.0.1', credentials: { query: '' } };
    await assert.rejects(gate.begin(request), /store down/);
    assert.equal(await new StorePublisherRegistry(store).claim('cam', 'b'), true, 'the key is free again');
    await registry.releaseAll();
    await store.close();
  });
});
