import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { bytesToUnicode, HfTokenizer, toJsRegex } from '../src/model/hf-tokenizer.ts';
import { loadHuggingFace, saveHuggingFace } from '../src/model/huggingface.ts';
import { decodeSafetensors, encodeSafetensors, type FloatDtype } from '../src/model/safetensors.ts';
import { Transformer, type TransformerConfig } from '../src/model/transformer.ts';
import { modelTestFolder } from './helpers/model.ts';

const QWEN2_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** A Qwen2-style byte-level BPE tokenizer.json: 256 byte tokens, six merges, two added tokens. */
function tinyTokenizerJson() {
  const vocab: Record<string, number> = {};
  for (const [b, c] of bytesToUnicode().entries()) vocab[c] = b;
  const merges = ['Ġ w', 'h e', 'l l', 'he ll', 'hell o', 'Ġw o'];
  for (const [i, m] of merges.entries()) vocab[m.replace(' ', '')] = 256 + i;
  return {
    version: '1.0',
    added_tokens: [
      { id: 262, content: '<|endoftext|>', special: true },
      { id: 263, content: '<|im_start|>', special: true },
    ],
    normalizer: { type: 'NFC' },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: QWEN2_PATTERN }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    },
    decoder: { type: 'ByteLevel' },
    model: { type: 'BPE', vocab, merges, ignore_merges: false },
  };
}

const root = modelTestFolder('wasm', 'azr-hf-');

test('inline case-insensitive groups are rewritten for JS regexes', () => {
  const re = toJsRegex("(?i:'s|'m)|x");
  assert.deepEqual(
    [..."'M'sX x".matchAll(re)].map((m) => m[0]),
    ["'M", "'s", 'x'],
  );
});

test('byte-level BPE tokenizer.json: merges, pre-tokenisation, added tokens, round trip', () => {
  const tokenizer = new HfTokenizer(tinyTokenizerJson() as never);
  assert.equal(tokenizer.vocabSize, 264);
  const r = 'r'.charCodeAt(0);
  assert.deepEqual(tokenizer.encode('hello world'), [260, 261, r, 'l'.charCodeAt(0), 'd'.charCodeAt(0)]);
  assert.deepEqual(tokenizer.encode('<|im_start|>hello<|endoftext|>'), [263, 260, 262]);
  // "I'M 123": the contraction is one pre-token (case-insensitive), digits are split one by one.
  assert.deepEqual(tokenizer.encode("I'M 123"), [73, 39, 77, 32, 49, 50, 51]);
  assert.equal(tokenizer.specialId('<|endoftext|>'), 262);
  for (const text of ['héllo wörld — ünïcode ✓ 🙂\n\ttabs  and  spaces', 'x<|endoftext|>y', "it's 2024!"]) {
    assert.equal(tokenizer.decode(tokenizer.encode(text)), text);
  }
  // NFC: a decomposed é encodes like the composed one.
  assert.deepEqual(tokenizer.encode('e\u0301'), tokenizer.encode('\u00e9'));
});

function roundWeights(model: Transformer, dtype: FloatDtype) {
  const weights = new Map(
    [...model.params].map(([name, v]) => [name, { shape: v.shape, data: v.dataSync() as Float32Array }]),
  );
  const rounded = decodeSafetensors(encodeSafetensors(weights, { dtype })).tensors;
  model.setWeights(new Map([...rounded].map(([name, t]) => [name, t.data])));
}

const variants: Array<{ modelType: 'qwen2' | 'llama'; dtype: FloatDtype; config: TransformerConfig }> = [
  {
    modelType: 'qwen2',
    dtype: 'BF16',
    config: {
      vocabSize: 264,
      dModel: 32,
      nLayers: 2,
      nHeads: 4,
      nKvHeads: 2,
      ffnHidden: 48,
      maxSeqLen: 64,
      qkvBias: true,
      tieEmbeddings: false,
      ropeTheta: 1e6,
    },
  },
  {
    modelType: 'llama',
    dtype: 'F16',
    config: {
      vocabSize: 264,
      dModel: 32,
      nLayers: 2,
      nHeads: 4,
      ffnHidden: 40,
      maxSeqLen: 64,
      tieEmbeddings: true,
      ropeScaling: {
        type: 'llama3',
        factor: 8,
        lowFreqFactor: 1,
        highFreqFactor: 4,
        originalMaxPositionEmbeddings: 16,
      },
    },
  },
];

for (const { modelType, dtype, config } of variants) {
  test(`a tiny ${modelType} checkpoint in ${dtype} loads and gives the logits of the model that wrote it`, async () => {
    const source = new Transformer(config, 21);
    roundWeights(source, dtype); // so that the file holds the model's exact weights
    const dir = path.join(root, modelType);
    await saveHuggingFace(dir, source, { modelType, dtype, tokenizerJson: tinyTokenizerJson() });

    const { tensors } = decodeSafetensors(readFileSync(path.join(dir, 'model.safetensors')));
    const { nHeads: h, headDim: hd, dModel: d } = source.config;
    const q = tensors.get('model.layers.1.self_attn.q_proj.weight')!;
    const k = tensors.get('model.layers.1.self_attn.k_proj.weight')!;
    assert.deepEqual(q.shape, [h * hd, d], 'HF layout: [out, in]');
    const wqkv = source.param('layers.1.wqkv').arraySync() as number[][];
    assert.equal(q.data[3 * d + 5], wqkv[5][3]);
    assert.equal(k.data[2 * d + 7], wqkv[7][h * hd + 2]);
    assert.equal(tensors.has('lm_head.weight'), !config.tieEmbeddings);
    assert.equal(tensors.has('model.layers.0.self_attn.q_proj.bias'), modelType === 'qwen2');

    const loaded = await loadHuggingFace(dir);
    assert.deepEqual(loaded.config, source.config);
    const ids = [loaded.tokenizer!.encode('hello world, hello<|endoftext|>')];
    const [expected, actual] = [source.forward(ids), loaded.model.forward(ids)];
    const diff = tf.max(tf.abs(tf.sub(expected, actual))).dataSync()[0];
    assert.ok(diff < 1e-5, `max logit difference ${diff}`);
    assert.ok(tf.max(tf.abs(expected)).dataSync()[0] > 1e-3, 'logits are not trivially zero');
    tf.dispose([expected, actual]);
    source.dispose();
    loaded.model.dispose();
  });
}
