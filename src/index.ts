// The public API of azr: everything a topology, an actor or a plugin author needs.
export * from './runtime/index.ts';
export * from './topology/index.ts';
export * from './plugins/index.ts';
