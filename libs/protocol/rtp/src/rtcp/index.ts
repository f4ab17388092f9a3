export * from './rtcp-errors';
export * from './rtcp-header';
export * from './ntp-time';
export * from './report-block';
export * from './sender-report';
export * from './receiver-report';
export * from './goodbye';
export * from './compound';
