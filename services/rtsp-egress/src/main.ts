import { runServiceMain } from '@streamgate/platform';
import { startRtspEgress } from './index';

// Runs the RTSP egress alone; the context (config, bus, store, logger) comes from the environment.
runServiceMain('rtsp-egress', startRtspEgress);
