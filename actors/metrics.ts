// The metrics actor: appends one JSON line per step to RUN_DIR/metrics.jsonl and keeps the history for reports.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Type } from '@sinclair/typebox';
import { defineActor, defineProtocol } from '../src/runtime/index.ts';

const StepMetrics = Type.Record(Type.String(), Type.Unknown());

export const metricsProtocol = defineProtocol({
  record: { request: Type.Object({ metrics: StepMetrics }) },
  history: { request: Type.Object({}), reply: Type.Array(StepMetrics) },
});

export const metrics = defineActor({
  kind: 'metrics',
  module: import.meta.url,
  protocol: metricsProtocol,
  options: Type.Object({
    file: Type.Optional(
      Type.String({ description: 'JSONL file to append to (default: none, memory only).' }),
    ),
  }),
  init: (options) => {
    if (options.file) mkdirSync(dirname(options.file), { recursive: true });
    return { file: options.file, history: [] as Record<string, unknown>[] };
  },
  handlers: {
    record: (state, { metrics: line }) => {
      if (state.file) appendFileSync(state.file, `${JSON.stringify(line)}\n`);
      state.history.push(line);
      return state;
    },
    history: (state, _msg, ctx) => {
      ctx.reply(state.history);
      return state;
    },
  },
  snapshot: (state) => ({ history: state.history }),
  restore: (snapshot, options) => ({
    file: options.file,
    history: (snapshot as { history: Record<string, unknown>[] }).history,
  }),
});
