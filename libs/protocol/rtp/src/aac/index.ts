export * from './errors';
export * from './audio-specific-config';
export * from './decoder';
export * from './encoder';
