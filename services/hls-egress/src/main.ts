import { runServiceMain } from '@streamgate/platform';
import { startHlsEgress } from './index';

// Runs the HLS egress alone; the context (config, bus, store, logger) comes from the environment.
runServiceMain('hls-egress', startHlsEgress);
