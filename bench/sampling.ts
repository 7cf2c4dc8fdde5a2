// `npm run bench -- sampling`: two decoding workloads on tiny-zero's model (examples/tiny-zero.yaml, random weights,
// wasm backend with native products when built; `--products bfloat16` where the CPU has AMX).
// 1. A batch whose rows end at different lengths, as a proposer's do. The sampler stops feeding a row once it has
//    ended (src/model/sampling.ts), so a batch costs the sum of its rows' lengths, not rows × the longest. 32 rows of
//    one 150-token prompt, each row's length drawn from a proposal-like spread (36–168 tokens, mean ≈ 123: what
//    tiny-zero's proposer wrote around step 450 of a run); a row ends when the mask allows nothing. Baseline in the
//    same process: the same rows all decoded to the longest length — what a sampler that keeps finished rows in the
//    batch computes.
// 2. tiny-zero's proposals: 32 prompts of one reference each, completed under tiny-python's proposer grammar with
//    its prior (4 inputs, programs ≤ 48 characters), where most characters are forced (the grammar allows one).
//    The sampler feeds a row's forced characters in the run of the sampled one before them (`feedForced`, native
//    decoding only); baseline in the same process: one token a run (`feedForced: false`), which samples the same.
// Figures: ms per batch and useful tokens per second of each way, and the ratios. Options: --rounds N (default 8).
import { parseArgs } from 'node:util';
import { Value } from '@sinclair/typebox/value';
import { makeTokenizer } from '../actors/policy.ts';
import { loadHeldout } from '../plugins/tiny-python/heldout.ts';
import { tinyPythonModes, tinyPythonOptions } from '../plugins/tiny-python/index.ts';
import { formatChoice, initBackend } from '../src/model/backend.ts';
import { setProductPrecision } from '../src/model/native/kernels.ts';
import { Rng } from '../src/model/rng.ts';
import { sample } from '../src/model/sampling.ts';
import { Transformer } from '../src/model/transformer.ts';

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    rounds: { type: 'string', default: '8' },
    products: { type: 'string', default: 'float32' },
  },
});
const rounds = Number(values.rounds);

const backend = await initBackend('wasm', { log: null });
if (values.products === 'bfloat16') setProductPrecision('bfloat16');
const model = new Transformer(
  { vocabSize: 100, dModel: 96, nLayers: 2, nHeads: 4, nKvHeads: 4, ffnHidden: 256, maxSeqLen: 512 },
  1,
);
const ROWS = 32;
const PROMPT = 150;
const MAX_TOKENS = 168;
const rng = new Rng(7);
// Lengths skewed towards the long end, as proposals are (most near the mean, a few short, some at the limit).
const lengths = Array.from({ length: ROWS }, () =>
  Math.min(MAX_TOKENS, Math.round(36 + 132 * Math.sqrt(rng.next()) + 10 * (rng.next() - 0.5))),
);
const longest = Math.max(...lengths);
const prompts = Array.from({ length: ROWS }, (_, row) =>
  Array.from({ length: PROMPT }, (_, i) => 1 + ((i * 7 + row) % 97)),
);
const everyToken = Array.from({ length: 100 }, (_, i) => i);
/** Rows end at `lengthOf(row)` tokens: the mask then allows nothing. */
const decode = (lengthOf: (row: number) => number, seed: number) =>
  sample(model, prompts, {
    maxTokens: MAX_TOKENS,
    seed,
    logitsMask: (tokens, row) => (tokens.length < lengthOf(row) ? everyToken : []),
  });

/** Mean ms a batch and tokens sampled of each way, warmed up, then timed alternately (JIT and machine drift hit both). */
function time(ways: Array<(row: number) => number>): Array<{ ms: number; tokens: number }> {
  for (let warm = 0; warm < 3; warm++) for (const lengthOf of ways) decode(lengthOf, 0);
  const totals = ways.map(() => ({ ms: 0, tokens: 0 }));
  for (let r = 1; r <= rounds; r++)
    ways.forEach((lengthOf, i) => {
      const started = performance.now();
      const result = decode(lengthOf, r);
      totals[i]!.ms += performance.now() - started;
      totals[i]!.tokens += result.tokens.reduce((sum, t) => sum + t.length, 0);
    });
  return totals.map(({ ms, tokens }) => ({ ms: ms / rounds, tokens: tokens / rounds }));
}

const [early, toLongest] = time([(row) => lengths[row]!, () => longest]) as [
  { ms: number; tokens: number },
  { ms: number; tokens: number },
];
const usefulTokens = lengths.reduce((a, b) => a + b, 0);
const perSecond = (ms: number) => (usefulTokens / ms) * 1000;
console.log(
  `sampling (${formatChoice(backend)}): ${ROWS} rows, prompt ${PROMPT}, lengths ${Math.min(...lengths)}–${longest} (mean ${(usefulTokens / ROWS).toFixed(0)})`,
);
console.log(
  `  rows that end are dropped: ${early.ms.toFixed(0)} ms a batch, ${perSecond(early.ms).toFixed(0)} useful tokens/s`,
);
console.log(
  `  baseline, every row to ${longest}: ${toLongest.ms.toFixed(0)} ms a batch, ${perSecond(toLongest.ms).toFixed(0)} useful tokens/s`,
);
const ratio = toLongest.ms / early.ms;
console.log(
  `  speed-up ${ratio.toFixed(2)}× (rows × longest / sum of lengths: ${((ROWS * longest) / usefulTokens).toFixed(2)})`,
);
model.dispose();

// 2. Proposals under tiny-python's grammar: forced characters fed with the sampled one, or one a run.
const tokenizer = makeTokenizer({ type: 'char' });
const proposer = new Transformer(
  {
    vocabSize: tokenizer.vocabSize,
    dModel: 96,
    nLayers: 2,
    nHeads: 4,
    nKvHeads: 4,
    ffnHidden: 256,
    maxSeqLen: 512,
  },
  1,
);
const options = Value.Default(tinyPythonOptions, {
  references: 1,
  inputsPerProposal: 4,
  maxProposalTokens: 168,
  maxProgramChars: 48,
  grammarPrior: 1,
}) as Parameters<typeof tinyPythonModes>[0];
const deduction = tinyPythonModes(options)[0]!;
const constraint = deduction.constraint!('proposer')!;
const references = loadHeldout(new URL('../examples/heldout/tiny-python.jsonl', import.meta.url)).slice(
  0,
  ROWS,
);
const proposalPrompts = references.map((item, i) =>
  tokenizer.encode(deduction.proposerPrompt([{ ...item, id: `ref${i}`, mode: 'deduction', step: 0 }]).text),
);
const idOf = new Map([...Array(tokenizer.vocabSize).keys()].map((id) => [tokenizer.decode([id]), id]));
const ids = (chars: readonly string[]) => chars.map((c) => idOf.get(c)!).filter((id) => id !== undefined);
const propose = (feedForced: boolean, seed: number) =>
  sample(proposer, proposalPrompts, {
    maxTokens: options.maxProposalTokens,
    seed,
    feedForced,
    logitsMask: (tokens) => ids(constraint.allowedNext(tokenizer.decode(tokens))),
    logitsBias: (tokens) => {
      const prefix = tokenizer.decode(tokens);
      const bias = constraint.bias?.(prefix);
      if (!bias) return null;
      return new Map(constraint.allowedNext(prefix).map((c, i) => [idOf.get(c)!, bias[i]!]));
    },
  });
const proposalWays = [true, false].map(() => ({ ms: 0, tokens: 0 }));
for (let warm = 0; warm < 2; warm++) for (const feed of [true, false]) propose(feed, 100 + warm);
for (let r = 1; r <= rounds; r++)
  [true, false].forEach((feed, i) => {
    const started = performance.now();
    const result = propose(feed, r);
    proposalWays[i]!.ms += performance.now() - started;
    proposalWays[i]!.tokens += result.tokens.reduce((sum, t) => sum + t.length, 0);
  });
const [together, oneByOne] = proposalWays.map(({ ms, tokens }) => ({
  ms: ms / rounds,
  tokens: tokens / rounds,
})) as [{ ms: number; tokens: number }, { ms: number; tokens: number }];
const forcedRatio = oneByOne.ms / together.ms;
console.log(
  `proposals (tiny-python grammar, ${ROWS} rows, mean ${(together.tokens / ROWS).toFixed(0)} tokens):`,
);
console.log(
  `  forced tokens fed with the sampled one: ${together.ms.toFixed(0)} ms a batch, ${((together.tokens / together.ms) * 1000).toFixed(0)} tokens/s`,
);
console.log(
  `  baseline, one token a run: ${oneByOne.ms.toFixed(0)} ms a batch, ${((oneByOne.tokens / oneByOne.ms) * 1000).toFixed(0)} tokens/s`,
);
console.log(`  speed-up ${forcedRatio.toFixed(2)}×`);
proposer.dispose();

console.log(
  JSON.stringify({
    bench: 'sampling',
    rows: ROWS,
    prompt: PROMPT,
    meanLength: usefulTokens / ROWS,
    longest,
    msPerBatch: early.ms,
    baseline: { msPerBatch: toLongest.ms, sampledTokens: toLongest.tokens },
    ratioToBaseline: ratio,
    proposals: {
      meanLength: together.tokens / ROWS,
      msPerBatch: together.ms,
      baseline: { msPerBatch: oneByOne.ms },
      ratioToBaseline: forcedRatio,
    },
  }),
);
