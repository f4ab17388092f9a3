import { runServiceMain } from '@streamgate/platform';
import { startIngest } from './index';

// Builds the context from the environment (loadConfig, in-process bus, memory store, pino
// logger), starts ingest, and stops it on SIGTERM/SIGINT.
runServiceMain('ingest', startIngest);
