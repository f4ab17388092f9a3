export * from './rtcp';
