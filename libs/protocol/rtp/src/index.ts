export * from './rtcp';
export * from './packet';
