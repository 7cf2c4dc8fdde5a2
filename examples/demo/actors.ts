// Actors of the runtime demo (`npm start` until self-play lands): a producer inline, squarers in worker
// threads, a journal in a child process. Squarers crash on 13, on purpose, to show a supervised restart.
import { threadId } from 'node:worker_threads';
import { Type } from '@sinclair/typebox';
import { type ActorRef, defineActor, defineProtocol } from '../../src/index.ts';

const where = () => `pid ${process.pid}${threadId ? ` thread ${threadId}` : ''}`;

const squarerProtocol = defineProtocol({
  square: {
    request: Type.Object({ x: Type.Integer() }),
    reply: Type.Object({ y: Type.Integer(), where: Type.String() }),
  },
});

const journalProtocol = defineProtocol({
  record: { request: Type.Object({ line: Type.String() }) },
  lines: { request: Type.Object({}), reply: Type.Object({ count: Type.Integer(), where: Type.String() }) },
});

type SquarerRef = ActorRef<typeof squarerProtocol.spec>;

export const squarer = defineActor({
  kind: 'demo-squarer',
  module: import.meta.url,
  protocol: squarerProtocol,
  options: Type.Object({ unlucky: Type.Integer({ default: 13 }), replica: Type.Optional(Type.Integer()) }),
  init: (options) => ({ unlucky: options.unlucky }),
  handlers: {
    square: (state, { x }, ctx) => {
      if (x === state.unlucky) throw new Error(`${x} is unlucky`);
      ctx.reply({ y: x * x, where: where() });
      return state;
    },
  },
});

export const journal = defineActor({
  kind: 'demo-journal',
  module: import.meta.url,
  protocol: journalProtocol,
  init: () => ({ lines: [] as string[] }),
  handlers: {
    record: (state, { line }) => ({ lines: [...state.lines, line] }),
    lines: (state, _msg, ctx) => {
      ctx.reply({ count: state.lines.length, where: where() });
      return state;
    },
  },
});

/** Squares 1..jobs on the squarers, round robin; a job whose squarer crashed is done here instead. */
async function squareAll(
  jobs: number,
  squarers: SquarerRef[],
  journal: ActorRef<typeof journalProtocol.spec>,
) {
  let sum = 0;
  let retries = 0;
  const hosts = new Set<string>();
  await Promise.all(
    Array.from({ length: jobs }, async (_, i) => {
      const x = i + 1;
      const answer = await squarers[i % squarers.length]!.ask({ type: 'square', x }).catch(() => {
        retries++;
        return { y: x * x, where: 'computed by the producer after the squarer crashed' };
      });
      sum += answer.y;
      hosts.add(answer.where);
      await journal.tell({ type: 'record', line: `${x}² = ${answer.y}` });
    }),
  );
  return { sum, retries, hosts: [...hosts] };
}

const producerProtocol = defineProtocol({
  run: {
    request: Type.Object({ jobs: Type.Integer({ minimum: 1 }) }),
    reply: Type.Object({ sum: Type.Integer(), retries: Type.Integer(), hosts: Type.Array(Type.String()) }),
  },
});

export const producer = defineActor({
  kind: 'demo-producer',
  module: import.meta.url,
  protocol: producerProtocol,
  options: Type.Object({ squarers: Type.Array(Type.String(), { minItems: 1 }), journal: Type.String() }),
  init: (options): { squarers: string[]; journal: string } => options,
  handlers: {
    run: async (state, { jobs }, ctx) => {
      const squarers: SquarerRef[] = state.squarers.map((name) => ctx.ref(name));
      ctx.reply(await squareAll(jobs, squarers, ctx.ref(state.journal)));
      return state;
    },
  },
});
