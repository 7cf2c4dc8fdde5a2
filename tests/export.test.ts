// `azr export`: a run's policy as a Hugging Face folder that the HF loader reads back with the same logits.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { ASCII_ALPHABET, EOS } from '../actors/policy.ts';
import { characterTokenizerJson } from '../src/cli/export.ts';
import { latestCheckpoint } from '../src/run/run-dir.ts';
import { initBackend } from '../src/model/backend.ts';
import { HfTokenizer } from '../src/model/hf-tokenizer.ts';
import { loadHuggingFace } from '../src/model/huggingface.ts';
import { CharTokenizer } from '../src/model/tokenizer.ts';
import { resolveConfig, Transformer, type TransformerConfig } from '../src/model/transformer.ts';
import { azr, azrOk } from './helpers/azr.ts';

const text = 'def f(x):\n    return x[::-1] + "~"\n# output\n<eos>';

/** Logits of `ids` (one row) as plain numbers. */
function logits(model: Transformer, ids: number[]): Float32Array {
  const out = model.forward([ids]);
  const data = out.dataSync() as Float32Array;
  out.dispose();
  return data;
}

describe('azr export of a run', () => {
  let runDir: string;
  let scratch: string;
  let learner: { model: TransformerConfig; tensors: Record<string, Float32Array> };
  before(async () => {
    await initBackend('wasm', { log: null });
    scratch = await mkdtemp(join(tmpdir(), 'azr-export-'));
    runDir = join(scratch, 'run');
    await azrOk('run', 'tests/fixtures/selfplay-tiny.yaml', '--steps', '1', '--out', runDir);
    learner = (await latestCheckpoint(runDir)).snapshots.learner as typeof learner;
  });

  test('the HF loader reads the export back: same config, same logits, same token ids', async () => {
    const out = join(scratch, 'policy');
    const { stdout } = await azrOk('export', runDir, '--out', out);
    assert.match(stdout, /the policy of step 1/);
    const loaded = await loadHuggingFace(out);
    assert.deepEqual(loaded.config, { ...resolveConfig(learner.model), maxSeqLen: loaded.config.maxSeqLen });
    assert.equal(loaded.config.maxSeqLen, learner.model.maxSeqLen);
    assert.equal(loaded.hfConfig.model_type, 'llama');

    const chars = new CharTokenizer(ASCII_ALPHABET, [EOS], ' ');
    assert.ok(loaded.tokenizer, 'tokenizer.json was written');
    const ids = chars.encode(text);
    assert.deepEqual(loaded.tokenizer.encode(text), ids);
    assert.equal(loaded.tokenizer.decode(ids), text);
    assert.deepEqual(
      loaded.tokenizer.encode('a\tb'),
      chars.encode('a\tb'),
      'an unknown character reads as a space',
    );

    const original = new Transformer(resolveConfig(learner.model), new Map(Object.entries(learner.tensors)));
    assert.deepEqual(logits(loaded.model, ids), logits(original, ids), 'f32: exactly the same logits');
    original.dispose();
    loaded.model.dispose();
  });

  test('--dtype bf16 halves the file and keeps the logits close', async () => {
    const out = join(scratch, 'policy-bf16');
    await azrOk('export', runDir, '--out', out, '--dtype', 'bf16');
    const loaded = await loadHuggingFace(out);
    const original = new Transformer(resolveConfig(learner.model), new Map(Object.entries(learner.tensors)));
    const ids = new CharTokenizer(ASCII_ALPHABET, [EOS], ' ').encode(text);
    const a = logits(loaded.model, ids);
    const b = logits(original, ids);
    const worst = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
    assert.ok(worst > 0 && worst < 0.05, `largest logit difference ${worst}`);
    assert.equal(JSON.parse(await readFile(join(out, 'config.json'), 'utf8')).torch_dtype, 'bfloat16');
    original.dispose();
    loaded.model.dispose();
  });

  test('bad input: exit 2 with what was wrong', async () => {
    const file = join(scratch, 'a-file');
    await writeFile(file, 'x');
    const cases: [string[], RegExp][] = [
      [[join(scratch, 'missing'), '--out', join(scratch, 'o1')], /missing: no such directory/],
      [[scratch, '--out', join(scratch, 'o2')], /no checkpoint \(looked in .*checkpoints\)/],
      [[runDir, '--out', file], /--out .*a-file: is a file; give a directory/],
      [[runDir], /--out DIR is required/],
      [[runDir, '--out', join(scratch, 'o3'), '--dtype', 'f8'], /--dtype must be f32, bf16 or f16/],
    ];
    for (const [args, message] of cases) {
      const result = await azr('export', ...args);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.stderr, message);
    }
    const help = await azr('export', '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: azr export RUN_DIR --out DIR/);
  });
});

test('a character vocabulary beyond ASCII: multi-byte characters keep one id each', () => {
  const alphabet = ['a', 'é', '€', '𝛑', ' '];
  const tokenizer = new HfTokenizer(characterTokenizerJson(alphabet, [EOS], ' ') as never);
  const chars = new CharTokenizer(alphabet.join(''), [EOS], ' ');
  const sample = 'a€ é𝛑<eos>a';
  assert.deepEqual(tokenizer.encode(sample), chars.encode(sample));
  assert.equal(tokenizer.decode(chars.encode(sample)), sample);
  assert.equal(tokenizer.vocabSize, chars.vocabSize);
});
