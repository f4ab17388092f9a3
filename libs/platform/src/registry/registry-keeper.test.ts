import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REGISTRY_ASSERTED_KEY } from '@streamgate/contracts';
import { NatsBus } from '../bus/nats-bus';
import { createLogger } from '../logging/logger';
import { RedisStateStore } from '../store/redis-store';
import { RealServer, startNatsServer, startRedisServer } from '@streamgate/platform/testing';
import { FileRegistryJournal, RegistryJournal } from './registry-journal';
import { JetStreamRegistryJournal } from './jetstream-registry-journal';
import { JournaledStateStore } from './journaled-store';
import { RegistryKeeper } from './registry-keeper';

const PREFIXES = ['streams/', 'rtmp-keys/'];
const logger = createLogger({ service: 'test', level: 'silent' });
const servers: RealServer[] = [];
after(async () => {
  for (const s of servers) await s.stop();
});
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function suite(kind: string, openJournal: () => Promise<{ journal: RegistryJournal; reopen: () => Promise<RegistryJournal>; close: () => Promise<void> }>): void {
  describe(`registry durability with a ${kind} journal over a real Redis`, () => {
    test('Redis restarted without data: the keeper puts every entry back within a second; deletes stay deleted', { timeout: 30_000 }, async () => {
      const redis = await startRedisServer();
      servers.push(redis);
      const shared = new RedisStateStore({ url: redis.url });
      await shared.ready();
      const { journal, reopen, close } = await openJournal();
      const store = new JournaledStateStore(shared, journal, PREFIXES);
      const restored: string[][] = [];
      const keeper = new RegistryKeeper({ store: shared, journal, prefixes: PREFIXES, logger, checkMs: 100, onRestored: (k) => restored.push(k) });
      try {
        await keeper.start();
        for (let i = 0; i < 20; i++) await store.set(`streams/cam${i}`, JSON.stringify({ name: `cam${i}`, password: 'pw' }));
        await store.set('rtmp-keys/drone', '{"enabled":true}');
        await store.set('status/cam1/ingest', '{}', { ttlMs: 10_000 });
        await store.delete('streams/cam19');
        assert.equal(await shared.get(REGISTRY_ASSERTED_KEY) !== undefined, true);

        await redis.stop('SIGKILL');
        await redis.restart();
        await shared.ready();
        const t0 = Date.now();
        while ((await shared.list('streams/')).length < 19) {
          assert.ok(Date.now() - t0 < 2000, 'registry back within 2 s');
          await sleep(20);
        }
        const back = (await shared.list('streams/')).map((e) => e.key);
        assert.equal(back.length, 19);
        assert.ok(!back.includes('streams/cam19'), 'a deleted stream is not resurrected');
        assert.equal(await shared.get('rtmp-keys/drone'), '{"enabled":true}');
        assert.equal(await shared.get('status/cam1/ingest'), undefined, 'status is soft state: not journaled');
        assert.ok(await shared.get(REGISTRY_ASSERTED_KEY));
        assert.equal(keeper.restorations, 1);
        assert.equal(restored.at(-1)?.length, 20);

        // The journal survives its own process: a new keeper on a reopened journal has it all.
        keeper.stop();
        const again = await reopen();
        assert.equal((await again.entries()).length, 20);
      } finally {
        keeper.stop();
        await close();
        await shared.close();
      }
    });

    test('an empty journal is seeded from a store that has the registry (upgrade, or journal lost)', async () => {
      const redis = await startRedisServer();
      servers.push(redis);
      const shared = new RedisStateStore({ url: redis.url });
      await shared.ready();
      const { journal, close } = await openJournal();
      try {
        await shared.set('streams/old', '{"name":"old"}');
        const keeper = new RegistryKeeper({ store: shared, journal, prefixes: PREFIXES, logger });
        await keeper.start();
        keeper.stop();
        assert.deepEqual((await journal.entries()).map((e) => e.key), ['streams/old']);
      } finally {
        await close();
        await shared.close();
      }
    });
  });
}

suite('file', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'sg-journal-')), 'registry-journal.json');
  return {
    journal: new FileRegistryJournal(path, PREFIXES),
    reopen: async () => new FileRegistryJournal(path, PREFIXES),
    close: async () => undefined,
  };
});

let bucketN = 0;
suite('JetStream KV', async () => {
  const nats = await startNatsServer({ jetstream: true });
  servers.push(nats);
  const bus = await NatsBus.connect({ servers: nats.url });
  const bucket = `registry_test_${bucketN++}`;
  return {
    journal: await JetStreamRegistryJournal.open(bus.connection, bucket),
    reopen: async () => {
      // Across a NATS restart: the bucket is on the server's disk.
      await nats.stop('SIGKILL');
      await nats.restart();
      const fresh = await NatsBus.connect({ servers: nats.url });
      const j = await JetStreamRegistryJournal.open(fresh.connection, bucket);
      const out = { ...j, entries: async () => { const e = await j.entries(); await fresh.close(); return e; } };
      return out as unknown as RegistryJournal;
    },
    close: () => bus.close(),
  };
});
