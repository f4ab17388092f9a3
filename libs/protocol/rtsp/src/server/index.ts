export * from './server-auth';
