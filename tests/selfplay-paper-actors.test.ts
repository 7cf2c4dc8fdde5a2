// The coordinator with real buffers and a real validator, and a scripted proposer, solver and learner: the shared
// seed set, induction given a buffered program, distinct references (docs/azr.md §2, §6). Seconds, no model.
import { scriptedLearner as scriptedLearnerOf } from './fixtures/scripted-learner.ts';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buffer } from '../actors/buffer.ts';
import { coordinator } from '../actors/coordinator.ts';
import { proposerProtocol } from '../actors/proposer.ts';
import { solverProtocol } from '../actors/solver.ts';
import { validator } from '../actors/validator.ts';
import type { Task } from '../src/plugins/index.ts';
import { createSystem, defineActor } from '../src/runtime/index.ts';
import { dedupKey } from '../src/selfplay/index.ts';

const generation = (completion: string) => ({ completion, promptIds: [1], responseIds: [2], logprobs: [-1] });
const setWeights = (state: null, _msg: unknown, ctx: { reply(r: unknown): void }) => {
  ctx.reply({ version: 0, computeMs: 0 });
  return state;
};

/** What each propose ask got: the mode and each prompt's references. */
const asked: { mode: string; references: Task[][] }[] = [];
/** What each solve ask got: the mode, the tasks and the answers per task. */
const solved: { mode: string; tasks: Task[]; samples: number }[] = [];
let programs = 0;

/** Deduction and abduction: a new program each time (`x + n`, or `x / n` that fails); induction: two inputs and a message. */
export const scriptedProposer = defineActor({
  kind: 'scripted-proposer',
  module: import.meta.url,
  protocol: proposerProtocol,
  init: () => null,
  handlers: {
    setWeights,
    propose: (state, { mode, references }, ctx) => {
      asked.push({ mode, references });
      // Every other deduction or abduction proposal raises (invalid), so the solver's batch needs a backfill.
      const proposal = (i: number): unknown =>
        mode === 'induction'
          ? { code: '', inputs: ['1', '2'], message: 'add something' }
          : { code: `def f(x):\n    return x ${i % 2 ? '/ 0' : '+'} ${++programs}`, input: '1' };
      ctx.reply({
        proposals: references.map((_, i) => ({
          ...generation('…'),
          proposal: proposal(i),
          formatError: null,
        })),
        faults: {},
        computeMs: 0,
      } as never);
      return state;
    },
  },
});

export const scriptedSolver = defineActor({
  kind: 'scripted-solver',
  module: import.meta.url,
  protocol: solverProtocol,
  init: () => null,
  handlers: {
    setWeights,
    solve: (state, { mode, tasks, samples }, ctx) => {
      solved.push({ mode, tasks, samples });
      const answers = tasks.flatMap(() => Array.from({ length: samples }, () => generation('2')));
      ctx.reply({
        answers: answers.map((g) => ({ ...g, answer: g.completion, formatError: null })),
        faults: {},
        computeMs: 0,
      });
      return state;
    },
  },
});

const scriptedLearner = scriptedLearnerOf('scripted-learner');

const plugins = [
  { use: 'deduction', options: { format: 'bare', references: 6 } },
  { use: 'abduction', options: { format: 'bare', references: 6 } },
  { use: 'induction', options: { format: 'bare', inputs: 2 } },
  { use: 'learnability' },
  { use: 'correctness' },
  { use: 'format' },
];
const modes = ['deduction', 'abduction', 'induction'];

function start(coordinatorOptions: Record<string, unknown>) {
  const system = createSystem({ seed: 11, supervision: { maxRestarts: 0 } });
  system.spawn(scriptedProposer, { name: 'proposer' });
  system.spawn(scriptedSolver, { name: 'solver' });
  system.spawn(scriptedLearner, { name: 'learner' });
  system.spawn(validator, { name: 'validator', options: { poolSize: 1, inductionInputs: 2, plugins } });
  const buffers = new Map(
    modes.map((mode) => [mode, system.spawn(buffer, { name: `buffer-${mode}`, options: { mode } })]),
  );
  const coordinatorRef = system.spawn(coordinator, {
    name: 'coordinator',
    options: { plugins, batchSize: 4, rollouts: 2, seedSize: 6, maxSeedRounds: 5, ...coordinatorOptions },
  });
  const held = (mode: string): Promise<Task[]> => buffers.get(mode)!.ask({ type: 'all' });
  return { system, coordinator: coordinatorRef, held };
}

describe('the coordinator plays AZR as the paper does', () => {
  let run: ReturnType<typeof start>;
  let seeded: { rounds: number; sizes: Record<string, number> };
  before(async () => {
    asked.length = 0;
    run = start({});
    seeded = await run.coordinator.ask({ type: 'seed' });
  });
  after(() => run.system.stop());

  test('seeding: deduction and abduction hold the same deduplicated seed set, cut to seedSize', async () => {
    const [deduction, abduction] = [await run.held('deduction'), await run.held('abduction')];
    assert.equal(deduction.length, 6);
    assert.deepEqual(deduction.map(dedupKey), abduction.map(dedupKey));
    assert.equal(new Set(deduction.map(dedupKey)).size, 6, 'no duplicates');
    assert.ok(abduction.every((t) => t.mode === 'abduction'));
    assert.equal(deduction[0]!.code, 'def f(x):\n    return x', 'the identity seed comes first');
    assert.deepEqual(
      asked.slice(0, 2).map((a) => a.mode),
      ['deduction', 'abduction'],
      'the two modes propose in turn',
    );
    assert.equal(seeded.sizes.deduction, 6);
  });

  test('seeding: induction is given programs from the seed set', async () => {
    const seedCodes = new Set((await run.held('deduction')).map((t) => t.code));
    const induction = await run.held('induction');
    assert.ok(induction.length >= 6, `induction seeded: ${induction.length}`);
    for (const t of induction) assert.ok(seedCodes.has(t.code), `a seed program: ${t.code}`);
  });

  test('a step: induction tasks are buffered programs; references distinct; backfill without repeats', async () => {
    const before = asked.length;
    const solvedBefore = solved.length;
    await run.coordinator.ask({ type: 'step', step: 1 });
    const programsHeld = new Set(
      [...(await run.held('deduction')), ...(await run.held('abduction'))].map((t) => t.code),
    );
    const fresh = (await run.held('induction')).filter((t) => t.step === 1);
    assert.ok(fresh.length > 0, 'the step made induction tasks');
    for (const t of fresh) assert.ok(programsHeld.has(t.code), `a buffered program: ${t.code}`);
    const batches = solved.slice(solvedBefore).filter((s) => s.samples === 1);
    assert.deepEqual(
      batches.map((b) => b.mode),
      modes,
    );
    for (const { mode, tasks } of batches) {
      assert.equal(tasks.length, 4, `${mode}: a full batch`);
      assert.equal(new Set(tasks.map((t) => t.id)).size, 4, `${mode}: no task twice in the batch`);
    }
    for (const { mode, references } of asked.slice(before)) {
      for (const refs of references) {
        assert.equal(refs.length, mode === 'induction' ? 1 : 6, mode);
        assert.equal(new Set(refs.map((r) => r.id)).size, refs.length, `${mode}: distinct references`);
      }
    }
  });
});

test('a mode whose reference buffers are not played is refused when the coordinator starts', async () => {
  const { system } = start({ modes: ['induction'] });
  const report = await system.stopped;
  assert.match(
    report.error?.message ?? '',
    /draws its references from deduction, abduction, none of which is played/,
  );
});
