import { MemoryStateStore } from './memory-store';
import { runStoreContract } from './store-contract';

runStoreContract('memory', async () => new MemoryStateStore());
