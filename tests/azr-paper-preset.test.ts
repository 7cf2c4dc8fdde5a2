// examples/azr-paper.yaml, the paper's settings (docs/azr.md §7): its topology checks, and one self-play step runs
// on a tiny random Qwen2 checkpoint, shrunk by --set overrides (B, n, seed set, token budgets) to take seconds.
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { parse } from 'yaml';
import { makeTinyHuggingFace } from '../bench/tools/hf-tiny.ts';
import { decode } from '../src/runtime/index.ts';
import { azrOk } from './helpers/azr.ts';

const preset = 'examples/azr-paper.yaml';
let dir = '';
let modelDir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'azr-paper-'));
  modelDir = join(dir, 'model');
  await makeTinyHuggingFace(modelDir, 5);
});

const at = (path: string, value: string | number) => ['--set', `${path}=${value}`];

test("the preset carries the paper's numbers", async () => {
  const topology = parse(await readFile(preset, 'utf8'));
  const actor = (name: string) => topology.actors.find((a: { name: string }) => a.name === name).options;
  const plugin = (name: string) => topology.plugins.find((p: { use: string }) => p.use === name);
  assert.deepEqual(
    ['deduction', 'abduction', 'induction'].map((mode) => plugin(mode)?.options.format),
    ['think-answer', 'think-answer', 'think-answer'],
  );
  assert.deepEqual([plugin('deduction').options.references, plugin('abduction').options.references], [6, 6]);
  assert.deepEqual(actor('coordinator'), { batchSize: 64, rollouts: 8, seedSize: 256 });
  assert.equal(actor('proposer').sampling.temperature, 1);
  assert.equal(actor('solver').sampling.temperature, 1);
  const learner = actor('learner');
  assert.deepEqual([learner.lr, learner.entropyCoef, learner.clipRatio], [1e-6, 0.001, 0.2]);
});

test('azr topology check passes', async () => {
  const result = await azrOk(
    'topology',
    'check',
    preset,
    ...at('actors.learner.options.huggingFace.path', modelDir),
  );
  assert.match(result.stdout, /ok — system "azr-paper"/);
});

test('one self-play step runs on a tiny checkpoint', async () => {
  const runDir = join(dir, 'run');
  const result = await azrOk(
    'run',
    preset,
    '--steps',
    '1',
    '--out',
    runDir,
    ...at('actors.learner.options.huggingFace.path', modelDir),
    ...at('actors.coordinator.options.batchSize', 2),
    ...at('actors.coordinator.options.rollouts', 2),
    ...at('actors.coordinator.options.seedSize', 1),
    ...at('actors.coordinator.options.maxSeedRounds', 0),
    ...at('actors.proposer.options.sampling.maxTokens', 24),
    ...at('actors.solver.options.sampling.maxTokens', 24),
    ...at('actors.learner.options.microBatchSize', 4),
  );
  assert.match(result.stdout, /done after step 1/);
  const state = decode<Record<string, any>>(
    await readFile(join(runDir, 'checkpoints', 'step-1', 'state.msgpack')),
  );
  assert.equal(state.learner.tokenizer.type, 'huggingface');
  assert.equal(state.learner.version, 1);
});
