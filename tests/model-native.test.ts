// Native products (src/model/native) against the stock wasm kernels. Nothing here skips: without the addon or the
// BLAS, `before` fails with the command that fixes it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/model/backend.ts';
import { fusedAttention } from '../src/model/native/attention.ts';
import { fusedRopeQkv } from '../src/model/native/layers.ts';
import { nativeKernelCount, nativeProductsActive, setNativeEnabled } from '../src/model/native/kernels.ts';
import { causalMask, matMul, rmsNorm, swiglu, tokenLogprobsAndEntropy } from '../src/model/ops.ts';
import { Rng } from '../src/model/rng.ts';
import { sample } from '../src/model/sampling.ts';
import { Transformer, type TransformerConfig } from '../src/model/transformer.ts';
import { Learner, type RolloutSample } from '../src/rl/learner.ts';
import { maxRelativeError } from './helpers/model.ts';

before(async () => {
  try {
    await initBackend('wasm', { log: null, native: true });
  } catch (error) {
    assert.fail(`the native path is required here: ${(error as Error).message}`);
  }
});
after(() => {
  setNativeEnabled(true);
  tf.disposeVariables();
});

/** `run` once on the native kernels and once on the stock ones. */
function bothPaths<T>(run: () => T): { native: T; stock: T } {
  setNativeEnabled(true);
  const calls = nativeKernelCount();
  const native = run();
  assert.ok(nativeKernelCount() > calls, 'the native run used no native kernel');
  setNativeEnabled(false);
  try {
    return { native, stock: run() };
  } finally {
    setNativeEnabled(true);
  }
}

function randomTensor(shape: number[], rng: Rng): tf.Tensor {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  return tf.tensor(data, shape);
}

test('BatchMatMul and plain _FusedMatMul match the stock kernels: random shapes, transposes, batch-1 broadcast', () => {
  const rng = new Rng(11);
  const dim = () => 1 + rng.int(40);
  for (let trial = 0; trial < 40; trial++) {
    const [m, n, k] = [dim(), dim(), dim()];
    const transA = rng.next() < 0.5;
    const transB = rng.next() < 0.5;
    const batch = trial % 4 === 0 ? [] : trial % 4 === 1 ? [1 + rng.int(5)] : [2, 1 + rng.int(3)];
    // Every fourth batched case gives one side a single matrix (leading 1s or no batch dims) to broadcast.
    const broadcastSide = trial % 8 === 3 ? 'a' : trial % 8 === 7 ? 'b' : null;
    const outer = (side: 'a' | 'b') =>
      broadcastSide === side ? (trial % 16 < 8 ? batch.map(() => 1) : []) : batch;
    const a = randomTensor([...outer('a'), ...(transA ? [k, m] : [m, k])], rng);
    const b = randomTensor([...outer('b'), ...(transB ? [n, k] : [k, n])], rng);
    const shapes = `${a.shape} × ${b.shape} (transposeA ${transA}, transposeB ${transB})`;
    for (const product of [
      () => tf.matMul(a, b, transA, transB),
      () => tf.fused.matMul({ a, b, transposeA: transA, transposeB: transB }),
    ]) {
      const { native, stock } = bothPaths(product);
      assert.deepEqual(native.shape, stock.shape, shapes);
      const error = maxRelativeError(native.dataSync() as Float32Array, stock.dataSync() as Float32Array);
      assert.ok(error < 1e-5, `${shapes}: relative error ${error}`);
      tf.dispose([native, stock]);
    }
    tf.dispose([a, b]);
  }
});

test('cases the native kernels leave to the stock ones still compute the same values', () => {
  const rng = new Rng(12);
  const a = randomTensor([2, 1, 5, 3], rng);
  const b = randomTensor([1, 3, 3, 4], rng); // a general broadcast: [2,1] against [1,3]
  const bias = randomTensor([4], rng);
  for (const product of [
    () => tf.matMul(a, b),
    () =>
      tf.fused.matMul({
        a: tf.reshape(a, [2, 5, 3]),
        b: tf.reshape(tf.slice(b, 0, [1, 2]), [2, 3, 4]),
        bias,
      }),
    () =>
      tf.fused.matMul({
        a: tf.reshape(a, [10, 3]),
        b: tf.reshape(tf.slice(b, 0, [1, 1]), [3, 4]),
        activation: 'relu',
      }),
  ]) {
    setNativeEnabled(true);
    const calls = nativeKernelCount();
    const native = tf.tidy(product);
    assert.equal(nativeKernelCount(), calls, 'left to the stock kernel');
    setNativeEnabled(false);
    const stock = tf.tidy(product);
    setNativeEnabled(true);
    assert.deepEqual(native.shape, stock.shape);
    assert.ok(maxRelativeError(native.dataSync() as Float32Array, stock.dataSync() as Float32Array) < 1e-6);
    tf.dispose([native, stock]);
  }
  tf.dispose([a, b, bias]);
});

/** softmax(q·kᵀ + mask)·v from stock ops on packed qkv [batch, seq, (heads + 2·kvHeads)·hd], kv heads repeated. */
function composedAttention(qkv: tf.Tensor3D, heads: number, kvHeads: number, mask: tf.Tensor): tf.Tensor {
  const [batch, seq, width] = qkv.shape;
  const hd = width / (heads + 2 * kvHeads);
  const [q, k, v] = tf.split(
    tf.reshape(qkv, [batch, seq, heads + 2 * kvHeads, hd]),
    [heads, kvHeads, kvHeads],
    2,
  );
  const perQueryHead = (t: tf.Tensor) =>
    tf.transpose(
      tf.concat(
        tf.split(t, kvHeads, 2).flatMap((head) => Array(heads / kvHeads).fill(head)),
        2,
      ),
      [0, 2, 1, 3],
    );
  const scores = matMul(tf.transpose(q, [0, 2, 1, 3]), tf.transpose(perQueryHead(k), [0, 1, 3, 2]));
  const mixed = matMul(tf.softmax(tf.add(scores, mask)), perQueryHead(v));
  return tf.transpose(mixed, [0, 2, 1, 3]);
}

test('fused attention and its gradient match stock ops: shared and per-row masks, grouped kv heads', () => {
  const rng = new Rng(14);
  const [batch, seq, heads, kvHeads, hd] = [2, 7, 4, 2, 8];
  const qkv = randomTensor([batch, seq, (heads + 2 * kvHeads) * hd], rng) as tf.Tensor3D;
  const dy = randomTensor([batch, seq, heads, hd], rng);
  const perRow = new Float32Array(batch * seq * seq).map((_, i) =>
    i % seq !== Math.floor(i / seq) % seq && rng.next() < 0.3 ? -1e9 : 0,
  );
  for (const mask of [causalMask(seq), tf.tensor4d(perRow, [batch, 1, seq, seq])]) {
    const withGrad = (attend: typeof composedAttention) =>
      tf.tidy(() => {
        const f = (x: tf.Tensor) => attend(x as tf.Tensor3D, heads, kvHeads, mask);
        return [f(qkv), tf.grad((x: tf.Tensor) => tf.sum(tf.mul(f(x), dy)))(qkv)];
      });
    setNativeEnabled(true);
    const fused = withGrad(fusedAttention);
    setNativeEnabled(false);
    const stock = withGrad(composedAttention);
    setNativeEnabled(true);
    ['output', 'gradient'].forEach((name, i) => {
      const error = maxRelativeError(
        fused[i].dataSync() as Float32Array,
        stock[i].dataSync() as Float32Array,
      );
      assert.ok(error < 1e-5, `mask ${mask.shape}, ${name}: relative error ${error}`);
    });
    tf.dispose([...fused, ...stock, mask]);
  }
  tf.dispose([qkv, dy]);
});

/** Rotary embeddings on packed qkv from stock ops (HF rotate_half), queries scaled, values unchanged. */
function composedRope(
  qkv: tf.Tensor,
  cos: tf.Tensor,
  sin: tf.Tensor,
  heads: number,
  kvHeads: number,
  scale: number,
) {
  const [tokens, width] = qkv.shape;
  const hd = width / (heads + 2 * kvHeads);
  const [q, k, v] = tf.split(
    tf.reshape(qkv, [tokens, heads + 2 * kvHeads, hd]),
    [heads, kvHeads, kvHeads],
    1,
  );
  const rotate = (x: tf.Tensor) => {
    const [first, second] = tf.split(x, 2, 2);
    const c = tf.expandDims(cos, 1);
    const s = tf.expandDims(sin, 1);
    return tf.add(tf.mul(x, c), tf.mul(tf.concat([tf.neg(second), first], 2), s));
  };
  return tf.reshape(tf.concat([tf.mul(rotate(q), scale), rotate(k), v], 1), [tokens, width]);
}

test("fused RMSNorm, SwiGLU, rotary embeddings and the learner's token log-probabilities match stock ops, gradients too", () => {
  const rng = new Rng(15);
  const x = tf.mul(randomTensor([3, 5, 24], rng), 3);
  const weight = randomTensor([24], rng);
  const gateUp = tf.mul(randomTensor([9, 32], rng), 4); // large gates reach both tails of the sigmoid
  const qkv = randomTensor([6, (3 + 2 * 1) * 8], rng);
  const [cos, sin] = [randomTensor([6, 8], rng), randomTensor([6, 8], rng)];
  const rope = (x: tf.Tensor) =>
    nativeProductsActive()
      ? fusedRopeQkv(x as tf.Tensor2D, cos as tf.Tensor2D, sin as tf.Tensor2D, 3, 1, 0.5)
      : composedRope(x, cos, sin, 3, 1, 0.5);
  const logits = tf.mul(randomTensor([2, 5, 11], rng), 3);
  const targets = tf.tensor2d([0, 3, 10, 7, 7, 1, 2, 9, 4, 5], [2, 5], 'int32');
  const cases: Array<[string, tf.Tensor[], (...inputs: tf.Tensor[]) => tf.Tensor]> = [
    ['rmsNorm', [x, weight], (a, w) => rmsNorm(a, w as tf.Tensor1D, 1e-6)],
    ['swiglu', [gateUp], (g) => swiglu(g)],
    ['ropeQkv', [qkv], rope],
    ['tokenLogprobs', [logits], (l) => tf.concat(Object.values(tokenLogprobsAndEntropy(l, targets)), 0)],
  ];
  for (const [name, inputs, f] of cases) {
    const dy = randomTensor(f(...inputs).shape, rng);
    const { native, stock } = bothPaths(() =>
      tf.tidy(() => [f(...inputs), ...tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(f(...a), dy)))(inputs)]),
    );
    native.forEach((t, i) => {
      const error = maxRelativeError(t.dataSync() as Float32Array, stock[i].dataSync() as Float32Array);
      assert.ok(error < 1e-5, `${name} ${i === 0 ? 'value' : `gradient ${i}`}: relative error ${error}`);
    });
    tf.dispose([...native, ...stock, dy]);
  }
  tf.dispose([x, weight, gateUp, qkv, cos, sin, logits, targets]);
});

const config: TransformerConfig = {
  vocabSize: 40,
  dModel: 64,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  ffnHidden: 96,
  maxSeqLen: 64,
};

function rollouts(rng: Rng): RolloutSample[] {
  return Array.from({ length: 6 }, (_, i) => {
    const promptIds = Array.from({ length: 4 + rng.int(20) }, () => rng.int(40));
    const responseIds = Array.from({ length: 4 + rng.int(30) }, () => rng.int(40));
    return {
      promptIds,
      responseIds,
      samplingLogprobs: responseIds.map(() => -Math.log(40) + 0.1 * rng.normal()),
      reward: rng.next(),
      group: `g${i % 2}`,
    };
  });
}

test("a learner step's weights agree with the stock path within 1e-4", () => {
  const { native, stock } = bothPaths(() => {
    const model = new Transformer(config, 3);
    const learner = new Learner(model, { lr: 1e-3, microBatchSize: 4, supervisedWeight: 0.5 });
    const rng = new Rng(4);
    const supervised = [{ promptIds: [1, 2, 3, 4, 5], targetIds: [6, 7, 8, 9] }];
    for (let step = 0; step < 2; step++) learner.step(rollouts(rng), supervised);
    const weights = model.weights();
    learner.dispose();
    model.dispose();
    return weights;
  });
  for (const [name, values] of stock) {
    const got = native.get(name)!;
    let worst = 0;
    for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(got[i] - values[i]));
    assert.ok(worst < 1e-4, `${name}: max abs difference ${worst}`);
  }
});

test('sampling with the same seed gives the same tokens on both paths', () => {
  const model = new Transformer(config, 5);
  for (const v of model.variables()) if (v.rank === 2) v.assign(tf.mul(v, 10));
  const prompts = [[1, 2, 3], [4, 5, 6, 7, 8, 9], [10], [11, 12, 13, 14]];
  const { native, stock } = bothPaths(() =>
    sample(model, prompts, { maxTokens: 40, temperature: 1, seed: 9 }),
  );
  assert.deepEqual(native.tokens, stock.tokens);
  assert.ok(maxRelativeError(native.logprobs.flat(), stock.logprobs.flat()) < 1e-4);
  const again = sample(model, prompts, { maxTokens: 40, temperature: 1, seed: 9 });
  assert.deepEqual(again.tokens, native.tokens);
  model.dispose();
});

test('the stock path can be forced: native: false, or AZR_NATIVE=0', async () => {
  const saved = process.env.AZR_NATIVE;
  try {
    const lines: string[] = [];
    const off = await initBackend('wasm', { log: (line) => lines.push(line), native: false });
    assert.deepEqual(off.native, { active: false, reason: 'turned off by an option (native: false)' });
    assert.equal(nativeProductsActive(), false);
    assert.match(lines[0], /backend: wasm \(native products off: turned off by an option/);
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    assert.deepEqual(Array.from(tf.matMul(a, a, false, true).dataSync()), [5, 11, 11, 25]);

    process.env.AZR_NATIVE = '0';
    const byEnv = await initBackend('wasm', { log: null });
    assert.deepEqual(byEnv.native, { active: false, reason: 'turned off by AZR_NATIVE=0' });
    assert.equal(nativeProductsActive(), false);

    delete process.env.AZR_NATIVE;
    lines.length = 0;
    const on = await initBackend('wasm', { log: (line) => lines.push(line) });
    assert.equal(on.native?.active, true);
    assert.equal(nativeProductsActive(), true);
    assert.match(lines[0], /backend: wasm \+ native products \(OpenBLAS /);
  } finally {
    if (saved === undefined) delete process.env.AZR_NATIVE;
    else process.env.AZR_NATIVE = saved;
    await initBackend('wasm', { log: null, native: true });
  }
});

test('the wasm GatherV2 kernel (row copies along axis 0) gathers rows and refuses bad indices', () => {
  const table = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
  const ids = tf.tensor2d([2, 0, 2, 1], [2, 2], 'int32');
  const rows = tf.gather(table, ids);
  assert.deepEqual(rows.shape, [2, 2, 2]);
  assert.deepEqual(Array.from(rows.dataSync()), [5, 6, 1, 2, 5, 6, 3, 4]);
  const vector = tf.gather(tf.tensor1d([7, 8, 9]), tf.tensor1d([1, 1], 'int32'));
  assert.deepEqual(Array.from(vector.dataSync()), [8, 8]);
  const columns = tf.gather(table, tf.tensor1d([1], 'int32'), 1); // another axis: the stock kernel
  assert.deepEqual(Array.from(columns.dataSync()), [2, 4, 6]);
  assert.throws(() => tf.gather(table, tf.tensor1d([3], 'int32')), /index value 3 is not in \[0, 2\]/);
  tf.dispose([table, ids, rows, vector, columns]);
});

test('the wasm Slice kernel (strided runs through a heap view) equals a plain index walk', () => {
  const rng = new Rng(13);
  for (let trial = 0; trial < 60; trial++) {
    const shape = Array.from({ length: 1 + rng.int(4) }, () => 1 + rng.int(5));
    const begin = shape.map((d) => rng.int(d));
    const size = shape.map((d, i) => 1 + rng.int(d - begin[i]));
    const x = tf.tensor(
      Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i),
      shape,
    );
    const strides = tf.util.computeStrides(shape);
    const expected: number[] = [];
    const walk = (axis: number, offset: number) => {
      if (axis === shape.length) return void expected.push(offset);
      for (let i = begin[axis]; i < begin[axis] + size[axis]; i++)
        walk(axis + 1, offset + i * (strides[axis] ?? 1));
    };
    walk(0, 0);
    const sliced = tf.slice(x, begin, size);
    assert.deepEqual(Array.from(sliced.dataSync()), expected, `${shape} [${begin}] +[${size}]`);
    tf.dispose([x, sliced]);
  }
});
