// The base layer: the wire types (each written once, as a TypeBox schema with its type derived) and what every
// executor shares. It imports nothing else of azr, so every layer may import it: actors, executors and plugins
// alike (docs/plugins.md).
export * from './executor.ts';
export * from './schemas.ts';
