export * from './errors';
export * from './nal';
export * from './sps';
export * from './hevc-config';
export * from './skipped-picture';
