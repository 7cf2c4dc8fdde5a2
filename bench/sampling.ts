// `npm run bench -- sampling`: decoding a batch whose rows end at different lengths, as a proposer's do. The sampler
// stops feeding a row once it has ended (src/model/sampling.ts), so a batch costs the sum of its rows' lengths, not
// rows × the longest. Workload: tiny-zero's model (examples/tiny-zero.yaml, random weights, wasm backend with native
// products when built), 32 rows of one 150-token prompt, each row's length drawn from a proposal-like spread (36–168
// tokens, mean ≈ 123: what tiny-zero's proposer wrote around step 450 of a run); a row ends when the mask allows
// nothing. Baseline in the same process: the same rows all decoded to the longest length — what a sampler that keeps
// finished rows in the batch computes. Figures: ms per batch and useful tokens per second of both, and the ratio.
// Options: --rounds N (default 8).
import { parseArgs } from 'node:util';
import { formatChoice, initBackend } from '../src/model/backend.ts';
import { Rng } from '../src/model/rng.ts';
import { sample } from '../src/model/sampling.ts';
import { Transformer } from '../src/model/transformer.ts';

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: { rounds: { type: 'string', default: '8' } },
});
const rounds = Number(values.rounds);

const backend = await initBackend('wasm', { log: null });
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
  }),
);
