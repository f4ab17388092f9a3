export * from './client-auth';
export * from './control-url';
