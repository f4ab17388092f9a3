export * from './amf0-types';
export * from './amf0-error';
export * from './amf0-decoder';
export * from './amf0-encoder';
