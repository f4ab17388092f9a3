export * from './handshake-error';
export * from './handshake-digest';
export * from './server-handshake';
