export * from './box';
export * from './box-reader';
export * from './codec-config';
export * from './init-segment';
export * from './fragment';
