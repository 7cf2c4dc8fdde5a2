// The coordinator's options (docs/azr.md §7): the step's sizes, what is trained on, the held-out set.
import { Type } from '@sinclair/typebox';
import { StringEnum } from '../src/wire/index.ts';
import { PluginOptions } from './plugins.ts';

export const CoordinatorOptions = Type.Object({
  ...PluginOptions,
  modes: Type.Optional(
    Type.Array(Type.String(), { description: 'Task modes to play (default: every loaded mode).' }),
  ),
  batchSize: Type.Integer({
    minimum: 1,
    default: 64,
    description: 'Proposals, and solver tasks, per mode per step (B).',
  }),
  rollouts: Type.Integer({
    minimum: 0,
    default: 8,
    description: 'Solver rollouts per new task for learnability (n).',
  }),
  reinforcedProposals: Type.Optional(
    Type.Integer({
      minimum: 1,
      description:
        "Proposals per mode per step whose samples the learner reinforces: a seeded random N of the step's " +
        '`batchSize` (default: all). Only theirs are rolled out for learnability; every valid proposal still ' +
        "becomes tasks. The learner's and the rollouts' cost then follow N while the new tasks follow batchSize " +
        '(docs/azr.md §2).',
    }),
  ),
  proposerEvery: Type.Integer({
    minimum: 1,
    default: 1,
    description:
      'The proposer is rolled out for learnability and reinforced on every k-th step only (steps 0, k, 2k, …); on ' +
      "the others its proposals still become tasks, but none is rolled out or learnt from. The learner's and the " +
      "rollouts' cost for the proposer fall k-fold, and so does how fast it moves (not in the paper: k = 1; " +
      'docs/azr.md §2).',
  }),
  answerEvery: Type.Integer({
    minimum: 1,
    default: 1,
    description:
      "When the solver is not reinforced (`reinforce` lacks `solver`), its answers to a step's batch feed only the " +
      'metrics `<mode>.solveRate` and `<mode>.solverReward`: it answers on every k-th step only (steps 0, k, 2k, …) ' +
      "and the other steps' lines lack those two. Saves a solve call per mode a step (docs/azr.md §2); ignored when " +
      'the solver is reinforced.',
  }),
  rolloutPairs: Type.Optional(
    Type.Integer({
      minimum: 1,
      description:
        "With several inputs per program (`inputsPerProposal`): the learnability rollouts measure only each program's " +
        "first m valid (program, input) pairs, and the program's reward averages over those (docs/azr.md §4). Every " +
        'pair is still a task. Default: every pair.',
    }),
  ),
  seedSize: Type.Integer({
    minimum: 1,
    default: 256,
    description:
      'Valid tasks each buffer holds before step 1 (the shared seed set is cut to this size; a buffer seeded on ' +
      'its own may end a round above it).',
  }),
  maxSeedRounds: Type.Integer({
    minimum: 0,
    default: 50,
    description:
      'Proposal rounds the seeding stage may take per seed set (the shared set: a round is one batch from each ' +
      'of its modes in turn).',
  }),
  sharedSeed: Type.Array(Type.String(), {
    default: ['deduction', 'abduction'],
    description:
      'Modes seeded together, as in the paper: one deduplicated seed set, grown by their proposals in turn ' +
      '(references drawn from the set), cut to `seedSize` and copied into each of their buffers. Those not ' +
      'played are ignored; every other mode seeds its own buffer. [] seeds every mode on its own.',
  }),
  withReplacement: Type.Boolean({
    default: false,
    description:
      "Draw the proposer's references and the solver's backfill with replacement (a prompt may repeat a " +
      "reference; the backfill may repeat this step's new tasks). Default, as in the paper: each prompt gets " +
      "min(K, size) distinct references, and the backfill distinct tasks other than this step's new ones.",
  }),
  malformedAnswers: StringEnum(['wrong', 'format-error'], {
    default: 'wrong',
    description:
      'What an answer the executor cannot read counts as (a deduction answer that does not evaluate, an ' +
      'induction program that does not compile or defines no f): wrong, as in the paper (only a broken layout ' +
      'is a format error), or a format error.',
  }),
  supervised: Type.Boolean({
    default: false,
    description: "Also train the solver on the executor's gold answers (executor-supervised learning).",
  }),
  supervisedExtra: Type.Integer({
    minimum: 0,
    default: 0,
    description:
      'With `supervised`: further buffered tasks per mode per step for the supervised term only (no generation ' +
      'needed: a validated task costs far less to learn from than to propose).',
  }),
  supervisedFresh: Type.Boolean({
    default: false,
    description:
      'With `supervised`: the supervised term takes every new task of the step (each valid pair of every ' +
      'proposal, with `inputsPerProposal` k up to k per program), not only the first `batchSize` the solver ' +
      'answers: every distinct task is learnt from once when it is new.',
  }),
  supervisedFrom: Type.Optional(
    Type.Record(Type.String(), Type.Array(Type.String(), { uniqueItems: true }), {
      description:
        "With `supervised`: whose tasks each mode's supervised term learns, by mode (default: each its own). Every " +
        'task is a triplet (program, input, output) the executor checked, so it can be posed in any mode with gold ' +
        'answers: `{ deduction: [deduction, abduction], abduction: [] }` teaches deduction the outputs of both ' +
        "modes' new tasks and abduction nothing — twice the deduction examples for the same learner time " +
        '(docs/azr.md §2). A mode left out learns its own; `[]` learns none.',
    }),
  ),
  overlap: Type.Boolean({
    default: false,
    description:
      "Learn step t−1's batch while step t is generated (put the learner on a thread or process to use a second " +
      "core): one step off-policy (the learner's `oldLogprobs` says what the PPO ratio is taken against). The same as " +
      '`maxStaleness: 1`.',
  }),
  maxStaleness: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 64,
      description:
        'Bounded staleness s (docs/azr.md §2, "Staleness"): step t generates with weights version t − 1 − s while the ' +
        'learner learns earlier batches in the background, each as soon as it is generated; samples carry their ' +
        'version and the learner drops any older than s. 0: learn each batch before the next step (sequential); ' +
        '1: the same as `overlap`. Default: 1 with `overlap`, else 0.',
    }),
  ),
  reinforce: Type.Array(StringEnum(['proposer', 'solver']), {
    default: ['proposer', 'solver'],
    description:
      'Roles whose samples the learner reinforces (TRR++). Ablations: ["solver"] freezes the proposing behaviour; [] ' +
      'with `supervised` is supervised-only.',
  }),
  replicas: Type.Optional(
    Type.Record(Type.String(), Type.Integer({ minimum: 1 }), {
      description:
        'Replicas of each actor entry with `count` > 1, by entry name (e.g. {solver: 3}: solver-0 … solver-2): ' +
        'filled in by the topology builder from `count`, so leave it out of topologies. The coordinator splits ' +
        "each generation request over the proposer's and the solver's replicas (docs/distributed.md, " +
        '"Scaling generation").',
    }),
  ),
  askTimeoutMs: Type.Integer({
    minimum: 1,
    default: 600_000,
    description: 'Deadline of each ask to another actor (ms).',
  }),
  heldout: Type.Optional(
    Type.Object(
      {
        file: Type.String({
          description: 'CRUXEval-format JSONL ({id, code, input, output}), never trained on.',
        }),
        modes: Type.Array(Type.String(), {
          default: ['deduction', 'abduction'],
          description: 'Modes to score it in.',
        }),
        every: Type.Integer({
          minimum: 0,
          default: 0,
          description: 'Also score after every N steps (0: start and end only).',
        }),
      },
      { additionalProperties: false, description: 'A held-out set scored with greedy decoding.' },
    ),
  ),
});
