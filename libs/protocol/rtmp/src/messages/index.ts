export * from './message-error';
export * from './protocol-control';
export * from './user-control';
export * from './command';
export * from './replies';
