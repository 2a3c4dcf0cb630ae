export * from './metrics.ts';
export * from './series.ts';
export * from './ingest.ts';
export * from './query.ts';
