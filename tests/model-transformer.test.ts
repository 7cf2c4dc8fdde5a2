import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/model/backend.ts';
import { Transformer, type TransformerConfig } from '../src/model/transformer.ts';

const config: TransformerConfig = {
  vocabSize: 23,
  dModel: 16,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  ffnHidden: 24,
  maxSeqLen: 32,
  tieEmbeddings: false,
  qkvBias: true,
};
const ids = [
  [1, 5, 9, 2, 7, 7, 3, 11, 4],
  [0, 22, 13, 6, 6, 1, 19, 8, 2],
];

interface Result {
  loss: number;
  logits: Float32Array;
  grads: Map<string, Float32Array>;
}
const results = new Map<string, Result>();

// One test body, several backends (tfjs-layers style).
for (const backend of ['cpu', 'wasm'] as const) {
  test(`forward/backward on ${backend}`, async () => {
    await initBackend(backend, { log: null });
    assert.equal(tf.getBackend(), backend);
    const model = new Transformer(config, 42);
    model.causalMask(8);
    model.causalMask(9);
    const before = tf.memory().numTensors; // after the cached masks
    const inputs = Int32Array.from(ids.flatMap((row) => row.slice(0, -1)));
    const targets = tf.tensor2d(
      ids.map((row) => row.slice(1)),
      [2, 8],
      'int32',
    );
    const lossFn = () =>
      tf.tidy(() => {
        const logits = model.logits(inputs, 2, 8);
        const logp = tf.logSoftmax(logits);
        return tf.neg(tf.mean(tf.sum(tf.mul(logp, tf.oneHot(targets, config.vocabSize)), -1))) as tf.Scalar;
      });
    const { value, grads } = tf.variableGrads(lossFn, model.variables());
    const logits = model.forward(ids);
    assert.deepEqual(logits.shape, [2, 9, config.vocabSize]);
    const result: Result = {
      loss: value.dataSync()[0],
      logits: logits.dataSync() as Float32Array,
      grads: new Map(),
    };
    for (const [name, g] of Object.entries(grads))
      result.grads.set(name.split('.').slice(2).join('.'), g.dataSync() as Float32Array);
    assert.ok(
      Math.abs(result.loss - Math.log(config.vocabSize)) < 0.5,
      `initial loss ${result.loss} near ln(V)`,
    );
    assert.equal(result.grads.size, model.variables().length);
    for (const [name, g] of result.grads)
      assert.ok(
        g.some((x) => x !== 0),
        `gradient of ${name} is non-zero`,
      );
    tf.dispose([value, logits, targets, ...Object.values(grads)]);
    assert.equal(tf.memory().numTensors, before, 'no tensors leak');
    results.set(backend, result);
    model.dispose();
  });
}

test('cpu and wasm agree on logits, loss and gradients', () => {
  const cpu = results.get('cpu')!;
  const wasm = results.get('wasm')!;
  assert.ok(Math.abs(cpu.loss - wasm.loss) < 1e-5);
  assert.ok(maxAbsDiff(cpu.logits, wasm.logits) < 1e-4);
  for (const [name, g] of cpu.grads) {
    const scale = Math.max(...g.map(Math.abs));
    assert.ok(maxAbsDiff(g, wasm.grads.get(name)!) < 1e-3 * scale + 1e-7, `gradient ${name}`);
  }
});

test('the gradient matches a finite difference', async () => {
  await initBackend('cpu', { log: null });
  const model = new Transformer({ ...config, nLayers: 1 }, 3);
  const inputs = Int32Array.from([1, 2, 3, 4]);
  const loss = () => tf.tidy(() => tf.sum(tf.square(model.logits(inputs, 1, 4))) as tf.Scalar);
  const { grads } = tf.variableGrads(loss, model.variables());
  for (const name of ['embed', 'layers.0.wqkv', 'layers.0.wGateUp', 'finalNorm']) {
    const v = model.param(name);
    const g = Object.entries(grads)
      .find(([k]) => k.endsWith(`.${name}`))![1]
      .dataSync();
    const values = v.dataSync() as Float32Array;
    let index = 0;
    for (let i = 0; i < g.length; i++) if (Math.abs(g[i]) > Math.abs(g[index])) index = i;
    const eps = 1e-2;
    const at = (delta: number) => {
      const copy = values.slice();
      copy[index] += delta;
      v.assign(tf.tensor(copy, v.shape));
      return tf.tidy(() => loss().dataSync()[0]);
    };
    const numeric = (at(eps) - at(-eps)) / (2 * eps);
    v.assign(tf.tensor(values, v.shape));
    assert.ok(
      Math.abs(numeric - g[index]) < 0.02 * Math.abs(g[index]) + 1e-3,
      `${name}: ${numeric} vs ${g[index]}`,
    );
  }
  tf.dispose(Object.values(grads));
  model.dispose();
});

after(() => tf.disposeVariables());

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
