export * from './ip-range';
export * from './permissions';
export * from './secrets';
export * from './users';
export * from './internal-authorizer';
export * from './jwt';
