// `npm run bench -- supervised [--minutes M] [--max-level L] [--examples N] [--dump FILE] [--data FILE]
// [--batch B] [--lr LR] [--warmup W --decay D --floor F] [--d-model D] [--ffn F] [--layers L] [--rate-steps S]`: how fast can the
// tiny-zero model learn deduction at all? Pure executor-supervised training — no self-play — on a stream of random
// derivations of the tiny-python grammar (labelled by the sandboxed executor, none of them held-out programs,
// difficulty ≤ L as the held-out set grades it), scored with greedy decoding on examples/heldout/tiny-python.jsonl
// as training goes. It is an upper bound for what self-play's supervised term can reach in the same time, and it
// is how docs/learning.md measured the issue-7 target. `--dump FILE` writes the stream and exits, for the PyTorch
// twin `bench/supervised_torch.py FILE` (same model shape, same data) and for `--data FILE`, which trains on a
// dumped stream instead of generating one (the first N examples of a stream do not depend on its length).
// Before the run, S learner steps on the wasm backend's stock kernels and S with native products (src/model/native)
// give examples per second per core (one thread each) for both paths; the run itself uses the default path.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ensureBackend, makeTokenizer, Policy, transformerConfig, weightsPayload } from '../actors/policy.ts';
import { type HeldoutItem, loadHeldout } from '../plugins/tiny-python/heldout.ts';
import { parseTinyProposal, tinyPythonModes } from '../plugins/tiny-python/index.ts';
import { PROPOSAL_END, proposalGrammar } from '../plugins/tiny-python/subset.ts';
import { PythonPool, validate } from '../src/executor/index.ts';
import { formatChoice, initBackend } from '../src/model/backend.ts';
import { createRng } from '../src/runtime/index.ts';
import { Transformer } from '../src/model/transformer.ts';
import { Learner } from '../src/rl/learner.ts';
import { lrFactor } from '../src/rl/schedule.ts';
import { derivationLevel } from './tools/streams.ts';

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    minutes: { type: 'string', default: '5' },
    'max-level': { type: 'string', default: '3' },
    examples: { type: 'string', default: '60000' },
    batch: { type: 'string', default: '32' },
    lr: { type: 'string', default: '1e-3' },
    warmup: { type: 'string', default: '0' },
    decay: { type: 'string', default: '0' },
    floor: { type: 'string', default: '0.1' },
    every: { type: 'string', default: '200' },
    dump: { type: 'string' },
    data: { type: 'string' },
    'd-model': { type: 'string', default: '96' },
    ffn: { type: 'string', default: '256' },
    layers: { type: 'string', default: '2' },
    'rate-steps': { type: 'string', default: '12' },
  },
});
const maxLevel = Number(values['max-level']);
const batchSize = Number(values.batch);

type Example = { code: string; input: string; output: string };
const heldout = loadHeldout(new URL('../examples/heldout/tiny-python.jsonl', import.meta.url));

async function stream(count: number): Promise<Example[]> {
  const rng = createRng('bench-supervised');
  const random = () => rng.next();
  const grammar = proposalGrammar();
  const held = new Set(heldout.map((h) => h.code));
  const pool = new PythonPool({ size: 2 });
  const data: Example[] = [];
  const perOutput = new Map<string, number>();
  try {
    while (data.length < count) {
      const batch: { code: string; input: string }[] = [];
      for (let i = 0; i < 500; i++) {
        const { text, tags } = grammar.derive(random, 112);
        if (derivationLevel(tags) > maxLevel) continue;
        const parsed = parseTinyProposal(text.slice(0, -PROPOSAL_END.length));
        if (parsed.ok && 'input' in parsed.value && !held.has(parsed.value.code)) batch.push(parsed.value);
      }
      const results = await validate(pool, batch);
      results.forEach((r, i) => {
        if (!r.valid || r.output === null || r.output.length > 30) return;
        // De-skewed like the held-out set: no output may dominate the stream.
        const seen = perOutput.get(r.output) ?? 0;
        if (seen >= 4 * (1 + data.length / 1000)) return;
        perOutput.set(r.output, seen + 1);
        data.push({ ...batch[i]!, output: r.output });
      });
    }
  } finally {
    await pool.close();
  }
  return data;
}

const started = performance.now();
const data: Example[] = values.data
  ? readFileSync(values.data, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Example)
  : await stream(Number(values.examples));
console.log(`stream: ${data.length} labelled examples (difficulty ≤ ${maxLevel}) in ${seconds(started)} s`);
if (values.dump) {
  writeFileSync(values.dump, `${data.map((d) => JSON.stringify(d)).join('\n')}\n`);
  console.log(`wrote ${values.dump}`);
  process.exit(0);
}

const tokenizer = makeTokenizer({ type: 'char' });
const spec = {
  dModel: Number(values['d-model']),
  nLayers: Number(values.layers),
  nHeads: 4,
  ffnHidden: Number(values.ffn),
  maxSeqLen: 256,
  tieEmbeddings: true,
};
const [deduction] = tinyPythonModes({
  references: 0,
  maxProposalTokens: 128,
  maxAnswerTokens: 32,
  constrain: true,
  requireInputUse: true,
});
const asTask = (d: Example | HeldoutItem) => ({ ...d, id: 'x', mode: 'deduction', step: 0 });
const newLearner = (model: Transformer) =>
  new Learner(model, { lr: Number(values.lr), supervisedWeight: 1, microBatchSize: batchSize });
const samplesAt = (steps: number) =>
  Array.from({ length: batchSize }, (_, i) => {
    const d = data[(steps * batchSize + i) % data.length]!;
    return {
      promptIds: tokenizer.encode(deduction!.solverPrompt(asTask(d)).text),
      targetIds: tokenizer.encode(`${d.output}\n`),
    };
  });

/** Examples per second of one core on the given path: `--rate-steps` steps after one warm-up step. */
async function rate(native: boolean) {
  const choice = await initBackend('wasm', { log: null, native });
  const model = new Transformer(transformerConfig(spec, tokenizer), 0);
  const learner = newLearner(model);
  learner.step([], samplesAt(0));
  const steps = Number(values['rate-steps']);
  const start = performance.now();
  for (let s = 1; s <= steps; s++) learner.step([], samplesAt(s));
  const examplesPerSec = (steps * batchSize) / ((performance.now() - start) / 1000);
  learner.dispose();
  model.dispose();
  return { backend: formatChoice(choice).replace(/^\[azr\/model\] backend: /, ''), examplesPerSec };
}
const stockRate = await rate(false);
const nativeRate = await rate(true).catch((error: Error) => error.message);
console.log(`examples/s per core, wasm stock kernels: ${stockRate.examplesPerSec.toFixed(1)}`);
const nativeOverStock =
  typeof nativeRate === 'string' ? null : nativeRate.examplesPerSec / stockRate.examplesPerSec;
console.log(
  typeof nativeRate === 'string'
    ? `examples/s per core, native products: not measured (${nativeRate})`
    : `examples/s per core, native products: ${nativeRate.examplesPerSec.toFixed(1)} ` +
        `(×${nativeOverStock!.toFixed(2)} the stock path; aim ≥ 2.5)`,
);

const backend = await initBackend('wasm', { log: (line) => console.log(line) });
await ensureBackend('wasm');
const model = new Transformer(transformerConfig(spec, tokenizer), 0);
const learner = newLearner(model);
const policy = new Policy();

/** Greedy held-out deduction accuracy, overall and by difficulty (exact repr match). */
async function score() {
  await policy.load(weightsPayload(model, { type: 'char' }, 0));
  const tasks = heldout.map(asTask);
  const completions = policy.generate(
    tasks.map((t) => deduction!.solverPrompt(t)),
    1,
    { temperature: 0, topP: 1, maxTokens: 32 },
    0,
    tasks.map((t) => deduction!.constraint!('solver', t)),
  );
  const right = [0, 0, 0, 0];
  const total = [0, 0, 0, 0];
  completions.forEach((c, i) => {
    const d = heldout[i]!.difficulty ?? 0;
    total[d]!++;
    if (c.completion.trim() === heldout[i]!.output) right[d]!++;
  });
  return {
    accuracy: right.reduce((a, b) => a + b, 0) / heldout.length,
    byDifficulty: [1, 2, 3].map((d) => right[d]! / Math.max(1, total[d]!)),
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const line = (label: string, s: Awaited<ReturnType<typeof score>>) =>
  `${label}held-out deduction ${pct(s.accuracy)} (difficulty 1/2/3: ${s.byDifficulty.map(pct).join(' / ')})`;
console.log(line('before training: ', await score()));

// The learner's schedule over steps (src/rl/schedule.ts); by default a constant lr.
const schedule = {
  warmup: Number(values.warmup),
  decay: Number(values.decay),
  floor: Number(values.floor),
};
const trainStart = performance.now();
let steps = 0;
let loss = Number.NaN;
while (performance.now() - trainStart < Number(values.minutes) * 60_000) {
  loss = learner.step([], samplesAt(steps), lrFactor(schedule, steps)).supervisedLoss;
  steps++;
  if (steps % Number(values.every) === 0)
    console.log(
      line(
        `${steps * batchSize} examples, ${seconds(trainStart)} s, loss ${loss.toFixed(3)}: `,
        await score(),
      ),
    );
}
const final = await score();
const examples = steps * batchSize;
console.log(line(`after ${examples} examples (${values.minutes} min of training): `, final));
console.log(
  `most-common baseline 1.7%, issue-7 target 21.7%: ${pct(final.accuracy)} is ` +
    `${(final.accuracy / 0.217).toFixed(2)}× the target`,
);
console.log(
  JSON.stringify({
    bench: 'supervised',
    backend: formatChoice(backend).replace(/^\[azr\/model\] backend: /, ''),
    rate: {
      stockExamplesPerSecPerCore: Number(stockRate.examplesPerSec.toFixed(1)),
      nativeExamplesPerSecPerCore:
        typeof nativeRate === 'string' ? null : Number(nativeRate.examplesPerSec.toFixed(1)),
      nativeOverStock: nativeOverStock === null ? null : Number(nativeOverStock.toFixed(2)),
    },
    minutes: Number(values.minutes),
    maxLevel,
    examples,
    examplesPerSec: Math.round(examples / (Number(values.minutes) * 60)),
    loss: Number(loss.toFixed(3)),
    heldoutDeduction: Number(final.accuracy.toFixed(4)),
    byDifficulty: final.byDifficulty.map((x) => Number(x.toFixed(4))),
  }),
);

function seconds(from: number): string {
  return ((performance.now() - from) / 1000).toFixed(0);
}
