import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BusPayloadTooLargeError } from './bus';
import { RealServer, runBusContract, startNatsServer } from '@streamgate/platform/testing';
import { BusDisconnectedError, NatsBus } from './nats-bus';

let server: RealServer | undefined;
const url = async (): Promise<string> => {
  if (process.env.TEST_NATS_URL) return process.env.TEST_NATS_URL;
  server ??= await startNatsServer();
  return server.url;
};
after(() => server?.stop());

runBusContract('nats', async () => NatsBus.connect({ servers: await url(), onHandlerError: () => undefined }));

describe('NATS driver specifics', () => {
  let own: RealServer;
  before(async () => {
    own = await startNatsServer();
  });
  after(() => own.stop());

  test('payload above the server max_payload is refused with a clear error', async () => {
    const bus = await NatsBus.connect({ servers: own.url });
    try {
      assert.equal(bus.maxPayload, 1024 * 1024, 'nats-server default max_payload');
      assert.throws(() => bus.publish('big.frame', new Uint8Array(bus.maxPayload + 1)), (err: unknown) =>
        err instanceof BusPayloadTooLargeError && /exceeds the bus limit of 1048576 bytes/.test(err.message));
    } finally {
      await bus.close();
    }
  });

  test('server restart: publishes are dropped (not buffered) while down, delivery resumes after reconnect', { timeout: 30_000 }, async () => {
    const states: string[] = [];
    const pub = await NatsBus.connect({ servers: own.url, onStatus: (s) => states.push(s) });
    const sub = await NatsBus.connect({ servers: own.url });
    try {
      const got: string[] = [];
      sub.subscribe('media.x.out', (m) => got.push(new TextDecoder().decode(m.data)));
      await sub.flush();
      pub.publish('media.x.out', new TextEncoder().encode('before'));
      await pub.flush();
      await new Promise((r) => setTimeout(r, 100));
      await own.stop('SIGKILL');
      const deadline = Date.now() + 10_000;
      while (pub.isConnected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(pub.isConnected, false);
      for (let i = 0; i < 1000; i++) pub.publish('media.x.out', new Uint8Array(1000));
      assert.equal(pub.droppedWhileDisconnected, 1000);
      await assert.rejects(pub.request('svc.any', new Uint8Array(0), { timeoutMs: 500 }), BusDisconnectedError);
      await own.restart();
      while (!(pub.isConnected && sub.isConnected) && Date.now() < deadline + 10_000) await new Promise((r) => setTimeout(r, 50));
      await sub.flush();
      await new Promise((r) => setTimeout(r, 200));
      pub.publish('media.x.out', new TextEncoder().encode('after'));
      await pub.flush();
      const until = Date.now() + 5000;
      while (!got.includes('after') && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(got, ['before', 'after']);
      assert.ok(states.includes('disconnected') && states.includes('connected'), states.join(','));
    } finally {
      await pub.close();
      await sub.close();
    }
  });
});
