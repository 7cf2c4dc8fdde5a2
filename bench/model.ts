// `npm run bench -- model [--cpu]`: training and sampling throughput of the policy transformer for the fixed config
// of issue 4 (4 layers, d_model 256, 8 heads, SwiGLU 768, vocab 256, tied embeddings), on the wasm backend's stock
// kernels, with native products (src/model/native) and, on Intel AMX, with native bfloat16 products, in one process;
// `--cpu` adds the pure-JS cpu backend.
// Training: one TRR++ learner step (PPO-clipped REINFORCE++ loss + entropy, AdamW) on 16 sequences × 256 tokens.
// Sampling: 64 prompts × 64 tokens, 128 new tokens each, KV cache, temperature 1.
// The pure-JS cpu backend is ~30× slower, so it runs a reduced workload (fewer rows / new tokens; tokens/s is per
// token, so the figures stay comparable). If /usr/bin/python3 has torch, bench/model_torch.py gives a reference.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type BackendChoice, formatChoice, initBackend } from '../src/model/backend.ts';
import { setProductPrecision } from '../src/model/native/kernels.ts';
import { Rng } from '../src/model/rng.ts';
import { sample } from '../src/model/sampling.ts';
import { Transformer, type TransformerConfig } from '../src/model/transformer.ts';
import { Learner, type RolloutSample } from '../src/rl/learner.ts';

const config: TransformerConfig = {
  vocabSize: 256,
  dModel: 256,
  nLayers: 4,
  nHeads: 8,
  ffnHidden: 768,
  maxSeqLen: 256,
  tieEmbeddings: true,
};

interface Workload {
  trainRows: number;
  trainSteps: number;
  sampleRows: number;
  newTokens: number;
}

const workloads: Record<'wasm' | 'cpu', Workload> = {
  wasm: { trainRows: 16, trainSteps: 2, sampleRows: 64, newTokens: 128 },
  cpu: { trainRows: 2, trainSteps: 1, sampleRows: 8, newTokens: 32 },
};
const SEQ = 256;
const PROMPT = 64;
const MICRO_BATCH = 4;

function rollouts(rows: number, rng: Rng): RolloutSample[] {
  return Array.from({ length: rows }, (_, i) => {
    const ids = Array.from({ length: SEQ }, () => rng.int(256));
    const responseIds = ids.slice(PROMPT);
    return {
      promptIds: ids.slice(0, PROMPT),
      responseIds,
      samplingLogprobs: responseIds.map(() => -Math.log(256)),
      reward: rng.next(),
      group: `type${i % 3}/solver`,
    };
  });
}

function measure(backend: 'wasm' | 'cpu', choice: BackendChoice) {
  const w = workloads[backend];
  const rng = new Rng(1);
  const model = new Transformer(config, 1);
  const learner = new Learner(model, { lr: 1e-4, microBatchSize: MICRO_BATCH });
  learner.step(rollouts(Math.min(w.trainRows, MICRO_BATCH), rng)); // warm-up: kernels, buffers
  const batch = rollouts(w.trainRows, rng);
  let start = performance.now();
  for (let i = 0; i < w.trainSteps; i++) learner.step(batch);
  const trainSeconds = (performance.now() - start) / 1000 / w.trainSteps;
  const trainTokensPerSec = (w.trainRows * SEQ) / trainSeconds;

  const prompts = Array.from({ length: w.sampleRows }, () =>
    Array.from({ length: PROMPT }, () => rng.int(256)),
  );
  sample(model, prompts.slice(0, 4), { maxTokens: 4, rng }); // warm-up
  start = performance.now();
  const result = sample(model, prompts, { maxTokens: w.newTokens, temperature: 1, rng });
  const sampleSeconds = (performance.now() - start) / 1000;
  const generated = result.tokens.reduce((n, t) => n + t.length, 0);
  const sampleTokensPerSec = generated / sampleSeconds;
  learner.dispose();
  model.dispose();
  return {
    backend: formatChoice(choice).replace(/^\[azr\/model\] backend: /, ''),
    trainTokensPerSec,
    trainStepSeconds: trainSeconds,
    trainTokensPerStep: w.trainRows * SEQ,
    sampleTokensPerSec,
    sampleSeconds,
    sampleNewTokens: generated,
    sampleRows: w.sampleRows,
  };
}

interface TorchRun {
  threads: number;
  trainTokensPerSec: number;
  sampleTokensPerSec: number;
}

/** The PyTorch runs (all cores, one thread), or null when /usr/bin/python3 has no torch. */
function torchReference(): { torch: string; runs: TorchRun[] } | null {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    return null;
  }
  const script = fileURLToPath(new URL('./model_torch.py', import.meta.url));
  const out = execFileSync('/usr/bin/python3', [script], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

const { values: flags } = parseArgs({ args: process.argv.slice(3), options: { cpu: { type: 'boolean' } } });
type Result = ReturnType<typeof measure>;
type PathKey = 'wasm' | 'native' | 'bf16' | 'cpu';
const paths: Array<{ key: PathKey; label: string; run: () => Promise<Result | string> }> = [
  {
    key: 'wasm',
    label: 'wasm (stock kernels)',
    run: async () => measure('wasm', await initBackend('wasm', { log: null, native: false })),
  },
  {
    key: 'native',
    label: 'wasm + native products',
    run: async () => {
      const choice = await initBackend('wasm', { log: null });
      return choice.native?.active ? measure('wasm', choice) : formatChoice(choice);
    },
  },
  {
    key: 'bf16',
    label: 'native bfloat16 (AMX)',
    run: async () => {
      const choice = await initBackend('wasm', { log: null });
      try {
        setProductPrecision('bfloat16');
      } catch (error) {
        return (error as Error).message;
      }
      try {
        return measure('wasm', choice);
      } finally {
        setProductPrecision('float32');
      }
    },
  },
];
if (flags.cpu)
  paths.push({
    key: 'cpu',
    label: 'cpu (pure JS)',
    run: async () => measure('cpu', await initBackend('cpu', { log: null })),
  });

const results: Partial<Record<PathKey, Result>> = {};
for (const path of paths) {
  const r = await path.run();
  if (typeof r === 'string') {
    console.log(`${path.label}: skipped — ${r}`);
    continue;
  }
  results[path.key] = r;
  console.log(
    `${path.label.padEnd(24)} training ${r.trainTokensPerSec.toFixed(0).padStart(6)} tokens/s ` +
      `(${r.trainTokensPerStep} tokens/step, ${r.trainStepSeconds.toFixed(2)} s/step)   ` +
      `sampling ${r.sampleTokensPerSec.toFixed(0).padStart(6)} tokens/s (${r.sampleRows} rows, ${r.sampleNewTokens} new tokens in ${r.sampleSeconds.toFixed(2)} s)`,
  );
}
console.log(`native path: ${results.native?.backend ?? 'not measured'}`);
const ratio: Record<string, number> = {};
const over = (name: string, a: Result | undefined, b: Result | undefined) => {
  if (!a || !b) return;
  ratio[`train${name}`] = a.trainTokensPerSec / b.trainTokensPerSec;
  ratio[`sample${name}`] = a.sampleTokensPerSec / b.sampleTokensPerSec;
  console.log(
    `${name}: training ×${ratio[`train${name}`]!.toFixed(2)}, sampling ×${ratio[`sample${name}`]!.toFixed(2)}`,
  );
};
over('NativeOverStock', results.native, results.wasm);
over('Bf16OverNative', results.bf16, results.native);
over('WasmOverCpu', results.wasm, results.cpu);
const torch = torchReference();
let versusTorch: Record<string, number> | undefined;
if (torch) {
  for (const r of torch.runs) {
    console.log(
      `torch ${torch.torch} (CPU, ${r.threads} thread${r.threads > 1 ? 's' : ''}): training ` +
        `${r.trainTokensPerSec.toFixed(0)} tokens/s, sampling ${r.sampleTokensPerSec.toFixed(0)} tokens/s`,
    );
  }
  // Compare with torch's best configuration for each figure.
  const bestTrain = Math.max(...torch.runs.map((r) => r.trainTokensPerSec));
  const bestSample = Math.max(...torch.runs.map((r) => r.sampleTokensPerSec));
  versusTorch = { torchTrainTokensPerSec: bestTrain, torchSampleTokensPerSec: bestSample };
  for (const [key, r] of [
    ['Stock', results.wasm],
    ['Native', results.native],
    ['Bf16', results.bf16],
  ] as const) {
    if (!r) continue;
    versusTorch[`train${key}OverTorch`] = r.trainTokensPerSec / bestTrain;
    versusTorch[`sample${key}OverTorch`] = r.sampleTokensPerSec / bestSample;
    console.log(
      `${key.toLowerCase()}/torch (best torch run): training ×${versusTorch[`train${key}OverTorch`]!.toFixed(2)} (aim ≥ 0.7), ` +
        `sampling ×${versusTorch[`sample${key}OverTorch`]!.toFixed(2)} (aim ≥ 0.5)`,
    );
  }
} else {
  console.log(
    'torch reference: skipped (/usr/bin/python3 cannot import torch; apt-get install -y python3-torch)',
  );
}
console.log(JSON.stringify({ bench: 'model', config, ...results, ratio, torch, versusTorch }));
