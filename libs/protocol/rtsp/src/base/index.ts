export * from './errors';
export * from './status';
export * from './headers';
export * from './message';
export * from './message-reader';
export * from './serialize';
