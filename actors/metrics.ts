// The metrics actor: appends one JSON line per step to RUN_DIR/metrics.jsonl and keeps the history for reports.
// A failed write is kept (not thrown: a restart would lose it and every later line) and answered to `failure`,
// which `azr run` asks after every step so that the run stops at once.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Type } from '@sinclair/typebox';
import { defineActor, defineProtocol } from '../src/runtime/index.ts';

const StepMetrics = Type.Record(Type.String(), Type.Unknown());

const WriteFailure = Type.Object({
  path: Type.String(),
  code: Type.Optional(Type.String()),
  message: Type.String(),
});

export const metricsProtocol = defineProtocol({
  record: { request: Type.Object({ metrics: StepMetrics }) },
  history: { request: Type.Object({}), reply: Type.Array(StepMetrics) },
  /** The first write that failed (nothing is written after it), or null. */
  failure: { request: Type.Object({}), reply: Type.Union([WriteFailure, Type.Null()]) },
});

interface State {
  file?: string;
  history: Record<string, unknown>[];
  failure: { path: string; code?: string; message: string } | null;
}

/**
 * Appends `text` to the file unless a write failed before; a failure is kept in the state. Appending '' (at
 * start) makes the folder and checks at once that the file can be written.
 */
function append(state: State, text: string): State {
  if (!state.file || state.failure) return state;
  try {
    if (text === '') mkdirSync(dirname(state.file), { recursive: true });
    appendFileSync(state.file, text);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    state.failure = { path: state.file, code, message };
  }
  return state;
}

export const metrics = defineActor({
  kind: 'metrics',
  module: import.meta.url,
  protocol: metricsProtocol,
  options: Type.Object({
    file: Type.Optional(
      Type.String({ description: 'JSONL file to append to (default: none, memory only).' }),
    ),
  }),
  init: (options): State => append({ file: options.file, history: [], failure: null }, ''),
  handlers: {
    record: (state, { metrics: line }) => {
      state.history.push(line);
      return append(state, `${JSON.stringify(line)}\n`);
    },
    history: (state, _msg, ctx) => {
      ctx.reply(state.history);
      return state;
    },
    failure: (state, _msg, ctx) => {
      ctx.reply(state.failure);
      return state;
    },
  },
  snapshot: (state) => ({ history: state.history }),
  restore: (snapshot, options): State =>
    append(
      {
        file: options.file,
        history: (snapshot as { history: Record<string, unknown>[] }).history,
        failure: null,
      },
      '',
    ),
});
