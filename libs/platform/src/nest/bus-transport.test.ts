import 'reflect-metadata';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Controller, INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { BusErrorReply, decodeJson } from '@streamgate/contracts';
import { RealServer, startNatsServer } from '@streamgate/platform/testing';
import { firstValueFrom, of } from 'rxjs';
import { Bus, BusNoRespondersError, BusTimeoutError } from '../bus/bus';
import { InProcessBus } from '../bus/in-process-bus';
import { NatsBus } from '../bus/nats-bus';
import { BusClientProxy } from './bus-client';
import { BusContext } from './bus-context';
import { BusTransport } from './bus-transport';

// Unique per run: the NATS server may be shared (TEST_NATS_URL).
const P = `nesttest${process.pid}x${Date.now().toString(36)}`;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

const events: string[] = [];

@Controller()
class ControlController {
  @MessagePattern(`${P}.echo`)
  echo(@Payload() data: Uint8Array): Uint8Array {
    return enc(`echo:${dec(data)}`);
  }

  @MessagePattern(`${P}.*.describe`, { attach: 'on-demand' })
  describe(@Payload() _data: Uint8Array, @Ctx() ctx: BusContext): Uint8Array {
    return enc(`described ${ctx.getSubject()}`);
  }

  @MessagePattern(`${P}.observable`)
  observable(): unknown {
    return of(enc('from an observable'));
  }

  @MessagePattern(`${P}.async`)
  async later(): Promise<Uint8Array> {
    await new Promise((r) => setTimeout(r, 20));
    return enc('from a promise');
  }

  /** The existing handlers answer through the message themselves, possibly later. */
  @MessagePattern(`${P}.self`)
  self(@Ctx() ctx: BusContext): undefined {
    const msg = ctx.getMessage();
    setTimeout(() => msg.respond(enc('answered by the handler')), 30);
    return undefined;
  }

  @MessagePattern(`${P}.silent`)
  silent(): undefined {
    return undefined;
  }

  @MessagePattern(`${P}.fail`)
  fail(): never {
    throw new RpcException('camera cam1 is not configured');
  }

  @MessagePattern(`${P}.bug`)
  bug(): never {
    throw new Error('internal detail that must not leave the process');
  }

  @EventPattern(`${P}.event`)
  event(@Payload() data: Uint8Array): void {
    events.push(dec(data));
  }
}

let nats: RealServer | undefined;
after(() => nats?.stop());

const drivers: Array<[string, () => Promise<Bus>]> = [
  ['in-process bus', async () => new InProcessBus()],
  ['NATS', async () => {
    const servers = process.env.TEST_NATS_URL ?? (nats ??= await startNatsServer()).url;
    return NatsBus.connect({ servers });
  }],
];

for (const [driver, makeBus] of drivers) {
  describe(`Nest microservice over the bus transport (${driver})`, () => {
    let bus: Bus;
    let transport: BusTransport;
    let app: INestMicroservice;
    let client: BusClientProxy;
    const send = (subject: string, body = ''): Promise<Uint8Array> => firstValueFrom(client.send<Uint8Array>(subject, enc(body)));

    test('starts a Nest microservice whose handlers answer requests', async () => {
      bus = await makeBus();
      transport = new BusTransport(bus);
      app = await NestFactory.createMicroservice(
        { module: class ControlModule {}, controllers: [ControlController] },
        { strategy: transport, logger: false },
      );
      await app.listen();
      await bus.flush();
      client = new BusClientProxy(bus, { timeoutMs: 1000 });
      assert.equal(dec(await send(`${P}.echo`, 'hello')), 'echo:hello');
    });

    test('a plain bus request reaches the same handler (the subjects stay those of contracts)', async () => {
      const reply = await bus.request(`${P}.echo`, enc('raw'), { timeoutMs: 1000 });
      assert.equal(dec(reply.data), 'echo:raw');
    });

    test('Observable, Promise and handler-sent replies', async () => {
      assert.equal(dec(await send(`${P}.observable`)), 'from an observable');
      assert.equal(dec(await send(`${P}.async`)), 'from a promise');
      assert.equal(dec(await send(`${P}.self`)), 'answered by the handler');
    });

    test('on-demand patterns answer only on the subjects the service attached', async () => {
      await assert.rejects(send(`${P}.cam1.describe`), BusNoRespondersError);
      const sub = transport.attach(`${P}.*.describe`, `${P}.cam1.describe`);
      await bus.flush();
      assert.equal(dec(await send(`${P}.cam1.describe`)), `described ${P}.cam1.describe`);
      await assert.rejects(send(`${P}.cam2.describe`), BusNoRespondersError);
      sub.unsubscribe();
      await bus.flush();
      await assert.rejects(send(`${P}.cam1.describe`), BusNoRespondersError);
      assert.throws(() => transport.attach(`${P}.unknown`), /no @MessagePattern or @EventPattern handler/);
    });

    test('a silent handler lets the request time out; a throwing one answers an error reply', async () => {
      await assert.rejects(firstValueFrom(new BusClientProxy(bus, { timeoutMs: 150 }).send(`${P}.silent`, enc(''))), BusTimeoutError);
      const reply = decodeJson(BusErrorReply, `${P}.fail`, await send(`${P}.fail`));
      assert.deepEqual(reply, { error: 'camera cam1 is not configured', code: 500 });
      assert.deepEqual(decodeJson(BusErrorReply, `${P}.bug`, await send(`${P}.bug`)), { error: 'Internal server error', code: 500 });
    });

    test('events: emit reaches @EventPattern handlers', async () => {
      await firstValueFrom(client.emit(`${P}.event`, enc(`${driver} event`)), { defaultValue: undefined });
      const deadline = Date.now() + 2000;
      while (!events.includes(`${driver} event`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.ok(events.includes(`${driver} event`));
    });

    test('closing the app unsubscribes every pattern', async () => {
      await app.close();
      await bus.flush();
      await assert.rejects(send(`${P}.echo`), BusNoRespondersError);
      await bus.close();
    });
  });
}
