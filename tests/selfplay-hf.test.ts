import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { makeTinyHuggingFace } from '../bench/tools/hf-tiny.ts';
import { decode } from '../src/runtime/index.ts';
import { azrOk } from './helpers/azr.ts';

test('hf-model.yaml: self-play from a local Hugging Face checkpoint, in the think/answer format', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'azr-hf-'));
  const modelDir = join(dir, 'model');
  await makeTinyHuggingFace(modelDir, 5);
  const config = (await readFile('examples/hf-model.yaml', 'utf8'))
    .replace('path: ./hf-tiny/model', `path: ${modelDir}`)
    .replace(/maxTokens: \d+/g, 'maxTokens: 24')
    .replace('batchSize: 4, rollouts: 4', 'batchSize: 2, rollouts: 2')
    .replace(
      '$schema: ../src/topology/topology.schema.json',
      `$schema: ${resolve('src/topology/topology.schema.json')}`,
    );
  const configFile = join(dir, 'hf.yaml');
  await writeFile(configFile, config);
  const runDir = join(dir, 'run');
  const result = await azrOk('run', configFile, '--steps', '1', '--out', runDir);
  assert.match(result.stdout, /done after step 1/);
  const state = decode<Record<string, any>>(
    await readFile(join(runDir, 'checkpoints', 'step-1', 'state.msgpack')),
  );
  assert.equal(state.learner.model.qkvBias, true, 'the Qwen2 architecture came from config.json');
  assert.equal(state.learner.tokenizer.type, 'huggingface');
  assert.equal(state.learner.version, 1);
});
