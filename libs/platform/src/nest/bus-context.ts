import { BaseRpcContext } from '@nestjs/microservices';
import type { BusHeaders, BusMessage } from '../bus/bus';

/** What a `@MessagePattern` handler on the bus transport sees besides the payload (`@Ctx()`). */
export class BusContext extends BaseRpcContext<[BusMessage]> {
  constructor(message: BusMessage) {
    super([message]);
  }

  /** The bus message itself: its subject (the concrete one, not the pattern) and reply. */
  getMessage(): BusMessage {
    return this.args[0];
  }

  getSubject(): string {
    return this.args[0].subject;
  }

  getHeaders(): BusHeaders | undefined {
    return this.args[0].headers;
  }
}
