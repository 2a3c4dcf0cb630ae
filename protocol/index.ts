export * from './metrics.ts';
export * from './series.ts';
export * from './ingest.ts';
export * from './query.ts';
export * from './roles.ts';
export * from './live.ts';
