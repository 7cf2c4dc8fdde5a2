import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { loadCheckpoint, saveCheckpoint } from '../src/model/checkpoint.ts';
import { Rng } from '../src/model/rng.ts';
import {
  decodeSafetensors,
  encodeSafetensors,
  float16ToFloat32,
  float32ToBfloat16,
  float32ToFloat16,
} from '../src/model/safetensors.ts';
import { Transformer, type TransformerConfig } from '../src/model/transformer.ts';
import { exportWeights, importWeights } from '../src/model/weights.ts';
import { modelTestFolder } from './helpers/model.ts';

const config: TransformerConfig = {
  vocabSize: 17,
  dModel: 16,
  nLayers: 2,
  nHeads: 2,
  ffnHidden: 24,
  maxSeqLen: 16,
};
const root = modelTestFolder('cpu', 'azr-ckpt-');

test('float16 / bfloat16 conversions round to nearest even', () => {
  assert.equal(float32ToFloat16(1), 0x3c00);
  assert.equal(float32ToFloat16(-2), 0xc000);
  assert.equal(float32ToFloat16(65504), 0x7bff);
  assert.equal(float32ToFloat16(1e6), 0x7c00);
  assert.equal(float32ToFloat16(2 ** -24), 0x0001);
  assert.equal(float32ToFloat16(1 + 2 ** -11), 0x3c00, 'tie rounds to even');
  assert.equal(float32ToFloat16(1 + 3 * 2 ** -11), 0x3c02, 'tie rounds to even (up)');
  for (const x of [0.1, -3.75, 2 ** -20, 1234.5]) {
    assert.ok(Math.abs(float16ToFloat32(float32ToFloat16(x)) - x) <= Math.abs(x) * 2 ** -11 + 2 ** -25);
  }
  assert.equal(float32ToBfloat16(1), 0x3f80);
  assert.equal(float32ToBfloat16(-0.5), 0xbf00);
});

test('safetensors round trip in f32, f16 and bf16', () => {
  const rng = new Rng(1);
  const data = Float32Array.from({ length: 12 }, () => rng.normal());
  const tensors = new Map([
    ['a.weight', { shape: [3, 4], data }],
    ['b', { shape: [2], data: Float32Array.from([1.5, -2]) }],
  ]);
  const f32 = decodeSafetensors(encodeSafetensors(tensors, { metadata: { format: 'pt' } }));
  assert.deepEqual(f32.metadata, { format: 'pt' });
  assert.deepEqual(f32.tensors.get('a.weight'), tensors.get('a.weight'));
  for (const dtype of ['F16', 'BF16'] as const) {
    const bytes = encodeSafetensors(tensors, { dtype });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal(headerLength % 8, 0);
    assert.equal(bytes.length, 8 + headerLength + 14 * 2);
    const back = decodeSafetensors(bytes).tensors.get('a.weight')!;
    assert.deepEqual(back.shape, [3, 4]);
    const tolerance = dtype === 'F16' ? 2 ** -10 : 2 ** -7;
    for (const [i, x] of data.entries()) assert.ok(Math.abs(back.data[i] - x) <= Math.abs(x) * tolerance);
  }
});

test('checkpoint round trip: config, weights, RNG states and extra', async () => {
  const model = new Transformer({ ...config, tieEmbeddings: false, qkvBias: true }, 4);
  const rng = new Rng(9);
  rng.next();
  const dir = path.join(root, 'roundtrip');
  await saveCheckpoint(dir, { model, rng: { sampler: rng }, extra: { step: 12, note: 'x' } });
  const loaded = await loadCheckpoint(dir);
  assert.deepEqual(loaded.config, model.config);
  for (const [name, w] of model.weights()) assert.deepEqual(loaded.model.weights().get(name), w);
  const restored = (loaded.rng as Record<string, Rng>).sampler;
  assert.equal(restored.next(), rng.next());
  assert.deepEqual(loaded.extra, { step: 12, note: 'x' });
  assert.equal(loaded.learner, undefined);
  const ids = [[1, 2, 3, 4]];
  const [a, b] = [model.forward(ids), loaded.model.forward(ids)];
  assert.deepEqual(a.dataSync(), b.dataSync());
  tf.dispose([a, b]);
  model.dispose();
  loaded.model.dispose();
});

test('a crash while saving leaves the previous checkpoint loadable', async () => {
  const dir = path.join(root, 'crash');
  const first = new Transformer(config, 1);
  const second = new Transformer(config, 2);
  await saveCheckpoint(dir, { model: first, extra: 'first' });
  // Crash mid-write: a half-written temp folder next to the checkpoint is ignored.
  mkdirSync(path.join(root, 'crash.tmp-123-dead'));
  writeFileSync(path.join(root, 'crash.tmp-123-dead', 'model.safetensors'), 'partial');
  assert.equal((await loadCheckpoint(dir)).extra, 'first');
  // Crash between the two renames: only `<dir>.old` exists; load falls back to it.
  await saveCheckpoint(dir, { model: second, extra: 'second' });
  renameSync(dir, `${dir}.old`);
  const fallback = await loadCheckpoint(dir);
  assert.equal(fallback.extra, 'second');
  // The next save succeeds and cleans up.
  await saveCheckpoint(dir, { model: first, extra: 'third' });
  assert.equal((await loadCheckpoint(dir)).extra, 'third');
  assert.ok(!existsSync(`${dir}.old`));
  assert.deepEqual(
    readdirSync(root).filter((f) => f.startsWith('crash.tmp-') && f !== 'crash.tmp-123-dead'),
    [],
  );
  for (const m of [first, second, fallback.model]) m.dispose();
});

test('weights as messages: export/import with a version, shape checked', () => {
  const source = new Transformer(config, 5);
  const target = new Transformer(config, 6);
  const message = exportWeights(source, 7);
  assert.equal(message.version, 7);
  assert.ok(message.tensors.embed.data instanceof Float32Array);
  assert.equal(importWeights(target, message), 7);
  for (const [name, w] of source.weights()) assert.deepEqual(target.weights().get(name), w);
  const wrong = new Transformer({ ...config, dModel: 8, nHeads: 2 }, 1);
  assert.throws(() => importWeights(wrong, message), /shape/);
  for (const m of [source, target, wrong]) m.dispose();
});
