// `npm run bench -- prefixes`: the learner's supervised steps with `sharePrefixes` (src/rl/prefix-rows.ts), against
// the same steps with a row per sequence. Workload: tiny-zero's model and learner options (examples/tiny-zero.yaml:
// random weights, wasm backend with native products when built, AdamW steps of 16 examples, micro-batches of 16),
// an update of 200 deduction examples as one self-play step brings: 50 held-out programs with 4 inputs each (the
// inputs and answers are other held-out tasks' literals: the bench times the learner, the answers need not be right),
// in tiny-python's deduction prompt (program, then input). Figures: examples a second of both, the columns each
// computes, and the ratio. Options: --rounds N (default 6).
import { parseArgs } from 'node:util';
import { makeTokenizer, transformerConfig } from '../actors/policy.ts';
import { loadHeldout } from '../plugins/tiny-python/heldout.ts';
import { tinyPythonModes } from '../plugins/tiny-python/index.ts';
import { formatChoice, initBackend } from '../src/model/backend.ts';
import { Transformer } from '../src/model/transformer.ts';
import { Learner, type SupervisedSample } from '../src/rl/learner.ts';
import { prefixGroups, rowWidth } from '../src/rl/prefix-rows.ts';

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: { rounds: { type: 'string', default: '6' } },
});
const rounds = Number(values.rounds);
const PROGRAMS = 50;
const INPUTS = 4;

const backend = await initBackend('wasm', { log: null });
const tokenizer = makeTokenizer({ type: 'char' });
const spec = { dModel: 96, nLayers: 2, nHeads: 4, ffnHidden: 256, maxSeqLen: 512, tieEmbeddings: true };
const heldout = loadHeldout(new URL('../examples/heldout/tiny-python.jsonl', import.meta.url));
const [deduction] = tinyPythonModes({
  references: 1,
  maxProposalTokens: 168,
  maxAnswerTokens: 32,
  constrain: true,
  requireInputUse: true,
});

/** Update r's examples: programs r·50 … r·50 + 49 (mod the held-out set), 4 inputs each. */
function update(r: number): SupervisedSample[] {
  return Array.from({ length: PROGRAMS * INPUTS }, (_, i) => {
    const program = heldout[(r * PROGRAMS + Math.floor(i / INPUTS)) % heldout.length]!;
    const literal = heldout[(r * 7 + i * 13) % heldout.length]!;
    const task = { ...program, id: 'x', mode: 'deduction', step: 0, input: literal.input };
    return {
      promptIds: tokenizer.encode(deduction!.solverPrompt(task).text),
      targetIds: tokenizer.encode(`${literal.output}\n`),
    };
  });
}

const learners = [false, true].map(
  (sharePrefixes) =>
    new Learner(new Transformer(transformerConfig(spec, tokenizer), 1), {
      lr: 5e-4,
      supervisedWeight: 1,
      supervisedBatchSize: 16,
      microBatchSize: 16,
      sharePrefixes,
    }),
);
/** Columns computed for one update: a row per sequence, or the rows sharing prefixes. */
const columns = (examples: SupervisedSample[], share: boolean) => {
  const sequences = examples.map((s) => ({
    ids: [...s.promptIds, ...s.targetIds],
    firstTarget: s.promptIds.length,
  }));
  const rows = share ? prefixGroups(sequences, spec.maxSeqLen) : sequences.map((q) => [q]);
  return rows.reduce((n, row) => n + rowWidth(row), 0);
};

for (const learner of learners) learner.step([], update(0));
const ms = [0, 0];
for (let r = 1; r <= rounds; r++)
  learners.forEach((learner, i) => {
    const examples = update(r);
    const started = performance.now();
    learner.step([], examples);
    ms[i]! += performance.now() - started;
  });
const perSecond = (total: number) => (PROGRAMS * INPUTS * rounds) / (total / 1000);
const [plain, shared] = [perSecond(ms[0]!), perSecond(ms[1]!)];
const [plainColumns, sharedColumns] = [columns(update(1), false), columns(update(1), true)];
console.log(
  `prefixes (${formatChoice(backend)}): updates of ${PROGRAMS} programs × ${INPUTS} inputs, ${rounds} rounds`,
);
console.log(
  `  a row per sequence (baseline): ${plain.toFixed(0)} examples/s, ${plainColumns} columns an update`,
);
console.log(`  shared prefixes: ${shared.toFixed(0)} examples/s, ${sharedColumns} columns an update`);
console.log(
  `  speed-up ${(shared / plain).toFixed(2)}× (columns ${(plainColumns / sharedColumns).toFixed(2)}× fewer)`,
);
for (const learner of learners) {
  learner.dispose();
  learner.model.dispose();
}
console.log(
  JSON.stringify({
    bench: 'prefixes',
    examplesPerUpdate: PROGRAMS * INPUTS,
    examplesPerSec: shared,
    columns: sharedColumns,
    baseline: { examplesPerSec: plain, columns: plainColumns },
    ratioToBaseline: shared / plain,
  }),
);
