import { runServiceMain } from '@streamgate/platform';
import { startPacketizer } from './index';

runServiceMain('packetizer', (ctx) => startPacketizer(ctx));
