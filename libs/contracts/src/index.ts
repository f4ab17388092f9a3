export * from './stream-name';
export * from './subjects';
export * from './envelope';
export * from './messages';
export * from './source-formats';
export * from './registry';
export * from './ingest';
export * from './status';
