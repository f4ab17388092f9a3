export * from './errors';
export * from './audio-specific-config';
