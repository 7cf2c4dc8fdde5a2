// bfloat16 products on Intel AMX (src/model/native/cc/amx.cc), against the product of the same operands rounded to
// bfloat16 and summed in float64. On a machine without AMX the same tests check that asking for them is refused with
// the reason; nothing here skips.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/model/backend.ts';
import { loadAddon } from '../src/model/native/addon.ts';
import { fusedAttention } from '../src/model/native/attention.ts';
import { productPrecision, setNativeEnabled, setProductPrecision } from '../src/model/native/kernels.ts';
import { resolveProducts } from '../actors/policy.ts';
import { causalMask } from '../src/model/ops.ts';
import { Rng } from '../src/model/rng.ts';
import { sample } from '../src/model/sampling.ts';
import { Transformer } from '../src/model/transformer.ts';
import '../src/model/gradients.ts';
import { maxRelativeError } from './helpers/model.ts';

let amx = false;

before(async () => {
  await initBackend('wasm', { log: null, native: true });
  const load = loadAddon();
  assert.ok(load.ok, 'native products are required here');
  amx = load.addon.info().amx;
});
after(() => {
  setProductPrecision('float32');
  tf.disposeVariables();
});

/** Each float32 rounded to bfloat16 (to nearest even, as the kernel's conversion does), back as float32. */
function bf16(values: Float32Array): Float32Array {
  const rounded = Float32Array.from(values);
  const bits = new Uint32Array(rounded.buffer);
  for (let i = 0; i < bits.length; i++)
    bits[i] = ((bits[i]! + 0x7fff + ((bits[i]! >>> 16) & 1)) & 0xffff0000) >>> 0;
  return rounded;
}

function randomMatrix(rng: Rng, rows: number, cols: number): Float32Array {
  return Float32Array.from({ length: rows * cols }, () => rng.normal());
}

/** op(A) is m × k, op(B) k × n; A is stored k × m when `ta`, B n × k when `tb`. */
interface Case {
  a: Float32Array;
  b: Float32Array;
  m: number;
  n: number;
  k: number;
  ta: boolean;
  tb: boolean;
}

/** op(A)·op(B) of rounded operands in float64, and each entry's sum of |terms| (the float32-sum error scale). */
function reference({ a, b, m, n, k, ta, tb }: Case) {
  const [ra, rb] = [bf16(a), bf16(b)];
  const value = new Float64Array(m * n);
  const scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++)
      for (let p = 0; p < k; p++) {
        const term = ra[ta ? p * m + i : i * k + p]! * rb[tb ? j * k + p : p * n + j]!;
        value[i * n + j] += term;
        scale[i * n + j] += Math.abs(term);
      }
  return { value, scale };
}

function product({ a, b, m, n, k, ta, tb }: Case) {
  return tf.tidy(() =>
    tf.matMul(tf.tensor2d(a, ta ? [k, m] : [m, k]), tf.tensor2d(b, tb ? [n, k] : [k, n]), ta, tb).dataSync(),
  );
}

test('bfloat16 products equal the product of the rounded operands: odd shapes, every transpose', () => {
  if (!amx) {
    assert.throws(() => setProductPrecision('bfloat16'), /Intel AMX/);
    assert.equal(productPrecision(), 'float32');
    return;
  }
  const rng = new Rng(7);
  // Edges of every tile size: rows and columns not multiples of 16 or 32, depths not multiples of 32.
  const shapes: Array<[number, number, number]> = [
    [1, 1, 1],
    [5, 17, 3],
    [33, 47, 24],
    [64, 96, 96],
    [70, 33, 65],
    [16, 288, 200],
  ];
  for (const [m, n, k] of shapes)
    for (const ta of [false, true])
      for (const tb of [false, true]) {
        const a = randomMatrix(rng, m, k);
        const b = randomMatrix(rng, k, n);
        setProductPrecision('bfloat16');
        const got = product({ a, b, m, n, k, ta, tb });
        setProductPrecision('float32');
        const exact = product({ a, b, m, n, k, ta, tb });
        const want = reference({ a, b, m, n, k, ta, tb });
        let roundedApart = 0;
        for (let i = 0; i < m * n; i++) {
          const where = `[${m}×${k}]·[${k}×${n}] ta=${ta} tb=${tb} entry ${i}`;
          assert.ok(
            Math.abs(got[i] - want.value[i]) <= 1e-5 * want.scale[i] + 1e-30,
            `${where}: ${got[i]} vs ${want.value[i]}`,
          );
          if (Math.abs(exact[i] - want.value[i]) > 1e-6 * want.scale[i]) roundedApart++;
        }
        // The float32 product differs from the rounded one almost everywhere: the bfloat16 path really ran.
        if (k >= 24)
          assert.ok(roundedApart > (m * n) / 2, `${m}×${n}×${k}: only ${roundedApart} entries differ`);
      }
  assert.equal(productPrecision(), 'float32');
});

test('a row of a bfloat16 product does not depend on the rows computed with it', () => {
  if (!amx) {
    assert.throws(() => setProductPrecision('bfloat16'), /use float32/);
    return;
  }
  const rng = new Rng(11);
  const [m, n, k] = [45, 70, 96];
  const a = randomMatrix(rng, m, k);
  const b = randomMatrix(rng, k, n);
  setProductPrecision('bfloat16');
  try {
    const whole = product({ a, b, m, n, k, ta: false, tb: false });
    for (const [from, to] of [
      [0, 1],
      [13, 14],
      [3, 40],
      [44, 45],
    ]) {
      const part = product({ a: a.subarray(from * k, to * k), b, m: to - from, n, k, ta: false, tb: false });
      assert.deepEqual(Array.from(part), Array.from(whole.subarray(from * n, to * n)), `rows ${from}–${to}`);
    }
  } finally {
    setProductPrecision('float32');
  }
});

test('bfloat16 products are refused where native products are off, and auto then picks float32', () => {
  setNativeEnabled(false);
  try {
    assert.throws(() => setProductPrecision('bfloat16'), /need native products/);
    assert.equal(resolveProducts('auto'), 'float32');
  } finally {
    setNativeEnabled(true);
  }
});

test('products: auto is bfloat16 exactly where the machine has AMX; a precision named stays itself', () => {
  assert.equal(resolveProducts('auto'), amx ? 'bfloat16' : 'float32');
  assert.equal(resolveProducts('float32'), 'float32');
  assert.equal(resolveProducts('bfloat16'), 'bfloat16');
});

/** `run` with bfloat16 products, then with float32 ones. */
function inBoth<T>(run: () => T): { bfloat16: T; float32: T } {
  setProductPrecision('bfloat16');
  try {
    const bfloat16 = run();
    setProductPrecision('float32');
    return { bfloat16, float32: run() };
  } finally {
    setProductPrecision('float32');
  }
}

test('attention takes bfloat16 products too: output and gradient within rounding of float32, grouped heads', () => {
  if (!amx) {
    assert.throws(() => setProductPrecision('bfloat16'), /Intel AMX/);
    return;
  }
  const rng = new Rng(19);
  // Two query heads per kv head: the second one's key and value gradients are added to the first's.
  const [batch, seq, heads, kvHeads, hd] = [2, 37, 4, 2, 24];
  const qkv = tf.tensor3d(randomMatrix(rng, batch * seq, (heads + 2 * kvHeads) * hd), [
    batch,
    seq,
    (heads + 2 * kvHeads) * hd,
  ]);
  const dy = tf.tensor4d(randomMatrix(rng, batch * seq, heads * hd), [batch, seq, heads, hd]);
  const mask = causalMask(seq);
  const { bfloat16, float32 } = inBoth(() =>
    tf.tidy(() => {
      const attend = (x: tf.Tensor) => fusedAttention(x as tf.Tensor3D, heads, kvHeads, mask);
      const gradient = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(attend(x), dy)))(qkv);
      return [attend(qkv).dataSync() as Float32Array, gradient.dataSync() as Float32Array];
    }),
  );
  ['output', 'gradient'].forEach((name, i) => {
    const error = maxRelativeError(bfloat16[i]!, float32[i]!);
    assert.ok(error < 3e-2, `${name}: relative error ${error}`);
    assert.ok(error > 1e-5, `${name}: identical to float32, so the bfloat16 products did not run`);
  });
  tf.dispose([qkv, dy, mask]);
});

test('decoding over a bfloat16 cache samples what recomputing every step samples; rows stay independent; forced tokens fed together change nothing', () => {
  if (!amx) {
    assert.throws(() => setProductPrecision('bfloat16'), /Intel AMX/);
    return;
  }
  // Weights scaled up so attention is far from uniform, not so far that bfloat16's rounding flips greedy choices
  // (at ×20 it does, in either path); two query heads per kv head.
  const model = new Transformer(
    { vocabSize: 29, dModel: 48, nLayers: 2, nHeads: 4, nKvHeads: 2, ffnHidden: 64, maxSeqLen: 96 },
    5,
  );
  for (const v of model.variables()) if (v.rank === 2) v.assign(tf.mul(v, 4));
  const prompts = Array.from({ length: 6 }, (_, row) =>
    Array.from({ length: 3 + row * 5 }, (_, i) => 1 + ((i * 7 + row) % 27)),
  );
  try {
    const { bfloat16, float32 } = inBoth(() => {
      const cached = sample(model, prompts, { maxTokens: 40, temperature: 0 });
      const recomputed = sample(model, prompts, { maxTokens: 40, temperature: 0, useCache: false });
      const padTo = Math.max(...prompts.map((p) => p.length));
      const split = [0, 2, 5, 6].slice(1).map((end, i, ends) => {
        const start = i === 0 ? 0 : ends[i - 1]!;
        return sample(model, prompts.slice(start, end), {
          maxTokens: 40,
          temperature: 1.5,
          seed: 3,
          firstRow: start,
          padTo,
        });
      });
      const whole = sample(model, prompts, { maxTokens: 40, temperature: 1.5, seed: 3 });
      // A mask forcing every other token: fed with the sampled ones, or one a run.
      const logitsMask = (tokens: number[]) => (tokens.length % 2 ? [(tokens.at(-1)! * 5) % 29] : null);
      const forced = [true, false].map((feedForced) =>
        sample(model, prompts, { maxTokens: 40, temperature: 1.5, seed: 3, logitsMask, feedForced }),
      );
      return { cached, recomputed, split, whole, forced };
    });
    const { cached, recomputed, split, whole, forced } = bfloat16;
    assert.deepEqual(forced[0], forced[1]);
    assert.deepEqual(cached.tokens, recomputed.tokens);
    const gaps = cached.logprobs.flat().map((x, i) => Math.abs(x - recomputed.logprobs.flat()[i]!));
    assert.ok(Math.max(...gaps) < 2e-2, `largest log-probability gap ${Math.max(...gaps)}`);
    assert.deepEqual(
      split.flatMap((s) => s.tokens),
      whole.tokens,
    );
    assert.deepEqual(
      split.flatMap((s) => s.logprobs),
      whole.logprobs,
    );
    // The bfloat16 cache really ran: its log-probabilities are not float32's.
    assert.notDeepEqual(cached.logprobs, float32.cached.logprobs);
  } finally {
    model.dispose();
  }
});
