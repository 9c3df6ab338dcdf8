/**
 * The land security code the ingest benchmark's server expects. In a module of its own: importing
 * it from ingest-server.ts would start that server in the load generator's process.
 */
export const BENCH_SECURITY_CODE = 'bench-security-code';
