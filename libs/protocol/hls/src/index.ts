export * from './decode-time';
export * from './segmenter';
export * from './playlist';
