/** Test-only (type:testing): fast-check arbitraries that damage tables of captured RTP packets. Never imported by production code. */
export * from './packet-streams';
