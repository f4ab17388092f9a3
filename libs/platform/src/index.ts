export * from './bus/bus';
export * from './bus/subject-match';
export * from './bus/in-process-bus';
export * from './store/state-store';
export * from './store/memory-store';
export * from './config/config';
export * from './logging/logger';
export * from './runtime/service';
