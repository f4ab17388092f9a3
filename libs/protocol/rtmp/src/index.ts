export * from './handshake';
export * from './chunk';
export * from './amf0';
export * from './messages';
export * from './flv';
