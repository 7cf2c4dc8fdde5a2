// The public API of azr: everything a topology, an actor or a plugin author needs.
export * from './runtime/index.ts';
export * from './topology/index.ts';
export * from './plugins/index.ts';

// ── Used by examples/ (issue 15: examples import the public API only). Keep these when curating this file. ──
// examples/analysis/program-complexity.ts reads a run directory's records.
export { decode } from './runtime/codec.ts';
export { run, type RunOptions } from './run/run.ts';
export type { RunEvent, RunSummary } from './run/events.ts';
