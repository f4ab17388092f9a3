export * from './errors';
export * from './decoder';
export * from './encoder';
