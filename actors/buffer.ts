// A task buffer (one per task mode): every valid task is appended; past `capacity` the oldest is evicted
// (the reference code drops new ones instead: we do not). Optional dedup by normalised program text.
// Sampling is uniform and seeded: `sample` draws with replacement, `draw` distinct tasks per group (docs/azr.md §6);
// the RNG's position is part of the snapshot, so a resumed run samples the same.
import { type Static, Type } from '@sinclair/typebox';
import { type ActorContext, createRng, defineActor, defineProtocol } from '../src/runtime/index.ts';
import type { Task } from '../src/plugins/index.ts';
import { dedupKey, drawDistinct } from '../src/selfplay/index.ts';

export { dedupKey };
import { TaskSchema } from './schemas.ts';
import { AzrError } from '../src/errors.ts';

export const bufferProtocol = defineProtocol({
  add: { request: Type.Object({ tasks: Type.Array(TaskSchema) }), reply: Type.Integer() },
  /** `count` tasks drawn uniformly with replacement (none from an empty buffer). */
  sample: { request: Type.Object({ count: Type.Integer({ minimum: 0 }) }), reply: Type.Array(TaskSchema) },
  /**
   * For each group g, `min(counts[g], available)` distinct tasks drawn uniformly without replacement, available
   * being the tasks whose id is not in `exclude` (groups are drawn independently and may share tasks).
   */
  draw: {
    request: Type.Object({
      counts: Type.Array(Type.Integer({ minimum: 0 })),
      exclude: Type.Optional(Type.Array(Type.String())),
    }),
    reply: Type.Array(Type.Array(TaskSchema)),
  },
  size: { request: Type.Object({}), reply: Type.Integer() },
  all: { request: Type.Object({}), reply: Type.Array(TaskSchema) },
  /** The `count` most recently added tasks, oldest first (fewer when the buffer holds fewer). */
  recent: { request: Type.Object({ count: Type.Integer({ minimum: 0 }) }), reply: Type.Array(TaskSchema) },
});

export const BufferOptions = Type.Object({
  mode: Type.String({ description: 'The task mode whose tasks this buffer holds.' }),
  capacity: Type.Integer({ minimum: 1, default: 16384, description: 'Tasks held; the oldest go first.' }),
  dedup: Type.Boolean({
    default: false,
    description: 'Skip a task whose normalised program and input are already held.',
  }),
  /** Identifies the run's configuration; a snapshot from another configuration is refused. */
  fingerprint: Type.String({
    default: '',
    description: 'Set by `azr run`: the configuration, checked on restore.',
  }),
});

interface BufferState {
  tasks: Task[];
  keys: Set<string>;
  rng: ReturnType<typeof createRng>;
  options: { mode: string; capacity: number; dedup: boolean; fingerprint: string };
}

export interface BufferSnapshot {
  kind: 'azr-buffer';
  mode: string;
  fingerprint: string;
  rng: [number, number, number, number];
  tasks: Task[];
}

export class BufferSnapshotError extends AzrError {
  constructor(message: string) {
    super('BUFFER_SNAPSHOT_MISMATCH', message);
  }
}

function append(state: BufferState, tasks: readonly Task[]): number {
  let added = 0;
  for (const task of tasks) {
    if (task.mode !== state.options.mode)
      throw new AzrError('INTERNAL', `buffer "${state.options.mode}" got a "${task.mode}" task`);
    if (state.options.dedup) {
      const key = dedupKey(task);
      if (state.keys.has(key)) continue;
      state.keys.add(key);
    }
    state.tasks.push(task);
    added++;
  }
  const excess = state.tasks.length - state.options.capacity;
  if (excess > 0) {
    const evicted = state.tasks.splice(0, excess);
    if (state.options.dedup) for (const task of evicted) state.keys.delete(dedupKey(task));
  }
  return added;
}

/** An empty buffer, its sampling RNG seeded from the actor's own. */
const emptyBuffer = (options: Static<typeof BufferOptions>, ctx: ActorContext): BufferState => ({
  tasks: [],
  keys: new Set(),
  rng: createRng(`${ctx.rng.next()}`),
  options: options as BufferState['options'],
});

export const buffer = defineActor({
  kind: 'buffer',
  module: import.meta.url,
  protocol: bufferProtocol,
  options: BufferOptions,
  init: emptyBuffer,
  handlers: {
    add: (state, { tasks }, ctx) => {
      ctx.reply(append(state, tasks));
      return state;
    },
    sample: (state, { count }, ctx) => {
      const n = state.tasks.length;
      ctx.reply(n === 0 ? [] : Array.from({ length: count }, () => state.tasks[state.rng.int(n)]!));
      return state;
    },
    draw: (state, { counts, exclude }, ctx) => {
      ctx.reply(drawDistinct(state.tasks, counts, new Set(exclude), state.rng));
      return state;
    },
    size: (state, _msg, ctx) => {
      ctx.reply(state.tasks.length);
      return state;
    },
    all: (state, _msg, ctx) => {
      ctx.reply(state.tasks);
      return state;
    },
    recent: (state, { count }, ctx) => {
      ctx.reply(count === 0 ? [] : state.tasks.slice(-count));
      return state;
    },
  },
  snapshot: (state): BufferSnapshot => ({
    kind: 'azr-buffer',
    mode: state.options.mode,
    fingerprint: state.options.fingerprint,
    rng: state.rng.state(),
    tasks: state.tasks,
  }),
  restore: (snapshot, options) => {
    const snap = snapshot as Partial<BufferSnapshot> | null;
    if (snap?.kind !== 'azr-buffer' || !Array.isArray(snap.tasks) || !Array.isArray(snap.rng)) {
      throw new BufferSnapshotError(
        `buffer "${options.mode}": the snapshot is not a buffer snapshot (corrupt?)`,
      );
    }
    if (snap.mode !== options.mode) {
      throw new BufferSnapshotError(`buffer "${options.mode}": the snapshot holds "${snap.mode}" tasks`);
    }
    if (snap.fingerprint !== options.fingerprint) {
      throw new BufferSnapshotError(
        `buffer "${options.mode}": the snapshot comes from another configuration ` +
          `(fingerprint ${snap.fingerprint || '(none)'}, this run ${options.fingerprint || '(none)'})`,
      );
    }
    const state: BufferState = {
      tasks: [],
      keys: new Set(),
      rng: createRng('restored', snap.rng as BufferSnapshot['rng']),
      options: options as BufferState['options'],
    };
    append(state, snap.tasks);
    return state;
  },
});
