export * from './errors';
export * from './nal';
export * from './sps';
export * from './avc-config';
export * from './skipped-picture';
