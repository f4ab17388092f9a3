export * from './errors';
export * from './nal';
export * from './decoder';
export * from './encoder';
export * from './sps';
