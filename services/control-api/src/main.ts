import { runServiceMain } from '@streamgate/platform';
import { startControlApi } from './index';

runServiceMain('control-api', startControlApi);
