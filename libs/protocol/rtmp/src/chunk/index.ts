export * from './rtmp-message';
export * from './chunk-error';
export * from './chunk-decoder';
export * from './chunk-encoder';
