import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Bus, BusMessage, BusNoRespondersError, BusPayloadTooLargeError, BusTimeoutError, InvalidSubjectError,
} from '@streamgate/platform';

/**
 * The behaviour every Bus driver must have. Each driver's test file calls this with a
 * factory; the same assertions run against the in-process bus and against a real NATS server.
 */
export function runBusContract(driverName: string, makeBus: () => Promise<Bus>): void {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

  function collect(bus: Bus, subject: string, queue?: string): { got: BusMessage[]; unsubscribe: () => void } {
    const got: BusMessage[] = [];
    const sub = bus.subscribe(subject, (m) => got.push(m), { queue });
    return { got, unsubscribe: () => sub.unsubscribe() };
  }

  async function settle(bus: Bus): Promise<void> {
    await bus.flush();
    await new Promise((r) => setTimeout(r, 50));
  }

  describe(`Bus contract: ${driverName}`, () => {
    test('delivers to exact, * and > subscribers, in publish order', async () => {
      const bus = await makeBus();
      try {
        const exact = collect(bus, 'media.cam1.in');
        const star = collect(bus, 'media.*.in');
        const tail = collect(bus, 'media.>');
        const other = collect(bus, 'media.*.out');
        await settle(bus);
        for (let i = 0; i < 5; i++) bus.publish('media.cam1.in', enc(`m${i}`));
        await settle(bus);
        assert.deepEqual(exact.got.map((m) => dec(m.data)), ['m0', 'm1', 'm2', 'm3', 'm4']);
        assert.equal(star.got.length, 5);
        assert.equal(tail.got.length, 5);
        assert.equal(other.got.length, 0);
        assert.equal(exact.got[0].subject, 'media.cam1.in');
      } finally {
        await bus.close();
      }
    });

    test('> needs at least one more token; * matches exactly one', async () => {
      const bus = await makeBus();
      try {
        const tail = collect(bus, 'a.>');
        const star = collect(bus, 'a.*');
        await settle(bus);
        bus.publish('a', enc('x'));
        bus.publish('a.b', enc('y'));
        bus.publish('a.b.c', enc('z'));
        await settle(bus);
        assert.deepEqual(tail.got.map((m) => dec(m.data)), ['y', 'z']);
        assert.deepEqual(star.got.map((m) => dec(m.data)), ['y']);
      } finally {
        await bus.close();
      }
    });

    test('a queue group gets each message once; plain subscribers get all', async () => {
      const bus = await makeBus();
      try {
        const q1 = collect(bus, 'work.x', 'workers');
        const q2 = collect(bus, 'work.x', 'workers');
        const plain = collect(bus, 'work.x');
        await settle(bus);
        for (let i = 0; i < 20; i++) bus.publish('work.x', enc(String(i)));
        await settle(bus);
        assert.equal(q1.got.length + q2.got.length, 20);
        assert.equal(plain.got.length, 20);
      } finally {
        await bus.close();
      }
    });

    test('unsubscribe stops delivery', async () => {
      const bus = await makeBus();
      try {
        const s = collect(bus, 'x.y');
        await settle(bus);
        bus.publish('x.y', enc('1'));
        await settle(bus);
        s.unsubscribe();
        await settle(bus);
        bus.publish('x.y', enc('2'));
        await settle(bus);
        assert.equal(s.got.length, 1);
      } finally {
        await bus.close();
      }
    });

    test('request/reply carries bytes and headers both ways', async () => {
      const bus = await makeBus();
      try {
        bus.subscribe('svc.echo', (m) => m.respond(enc(`echo:${dec(m.data)}`), { 'x-answer': m.headers?.['x-q'] ?? '' }));
        await settle(bus);
        const reply = await bus.request('svc.echo', enc('hi'), { timeoutMs: 2000, headers: { 'x-q': '42' } });
        assert.equal(dec(reply.data), 'echo:hi');
        assert.equal(reply.headers?.['x-answer'], '42');
      } finally {
        await bus.close();
      }
    });

    test('request with no responders fails fast', async () => {
      const bus = await makeBus();
      try {
        const t0 = Date.now();
        await assert.rejects(bus.request('nobody.home', enc('?'), { timeoutMs: 5000 }), BusNoRespondersError);
        assert.ok(Date.now() - t0 < 2000);
      } finally {
        await bus.close();
      }
    });

    test('request times out when the responder stays silent', async () => {
      const bus = await makeBus();
      try {
        bus.subscribe('svc.silent', () => undefined);
        await settle(bus);
        await assert.rejects(bus.request('svc.silent', enc('?'), { timeoutMs: 200 }), BusTimeoutError);
      } finally {
        await bus.close();
      }
    });

    test('invalid subjects and oversized payloads are refused with clear errors', async () => {
      const bus = await makeBus();
      try {
        assert.throws(() => bus.publish('media.*.in', enc('x')), InvalidSubjectError);
        assert.throws(() => bus.publish('a..b', enc('x')), InvalidSubjectError);
        assert.throws(() => bus.subscribe('a.>.b', () => undefined), InvalidSubjectError);
        assert.throws(() => bus.publish('big.one', new Uint8Array(bus.maxPayload + 1)), BusPayloadTooLargeError);
      } finally {
        await bus.close();
      }
    });

    test('a throwing handler does not stop delivery to others', async () => {
      const bus = await makeBus();
      try {
        bus.subscribe('boom.x', () => {
          throw new Error('handler bug');
        });
        const ok = collect(bus, 'boom.x');
        await settle(bus);
        bus.publish('boom.x', enc('1'));
        bus.publish('boom.x', enc('2'));
        await settle(bus);
        assert.equal(ok.got.length, 2);
      } finally {
        await bus.close();
      }
    });

    test('binary payloads arrive byte for byte', async () => {
      const bus = await makeBus();
      try {
        const s = collect(bus, 'bin.x');
        await settle(bus);
        const payload = new Uint8Array(256 * 1024);
        for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff;
        bus.publish('bin.x', payload);
        await settle(bus);
        assert.equal(s.got.length, 1);
        assert.deepEqual(Buffer.from(s.got[0].data), Buffer.from(payload));
      } finally {
        await bus.close();
      }
    });
  });
}
