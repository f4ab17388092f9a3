import { MemoryStateStore } from './memory-store';
import { runStoreContract } from '@streamgate/platform/testing';

runStoreContract('memory', async () => new MemoryStateStore());
