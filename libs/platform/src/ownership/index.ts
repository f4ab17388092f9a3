export * from './rendezvous';
export * from './membership';
export * from './lease';
export * from './ownership-manager';
