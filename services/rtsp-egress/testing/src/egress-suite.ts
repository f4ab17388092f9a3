import { after, before } from 'node:test';
import type { GatewayConfig } from '@streamgate/platform';
import { EgressUnderTest, StartEgress, startEgressForTest } from './egress-harness';
import { FakePacketizer } from './fake-packetizer';

/** What `useEgressWithFakeStream` sets up; the fields are there once the suite's `before` ran. */
export interface EgressWithFakeStream {
  env: EgressUnderTest;
  fake: FakePacketizer;
}

/**
 * Registers the suite's hooks: before, an egress under test with `config` (evaluated then, so
 * it may be computed) fed by a FakePacketizer on `stream`; after, both stopped.
 */
export function useEgressWithFakeStream<T>(
  start: StartEgress<T>, config: () => Partial<GatewayConfig> | Promise<Partial<GatewayConfig>> = () => ({}), stream = 'cam1',
): EgressWithFakeStream {
  const suite = {} as EgressWithFakeStream;
  before(async () => {
    suite.env = await startEgressForTest(start, await config());
    suite.fake = await FakePacketizer.start(suite.env.bus, stream);
  });
  after(async () => {
    await suite.fake?.stop();
    await suite.env?.stop();
  });
  return suite;
}
