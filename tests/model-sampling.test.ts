import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/model/backend.ts';
import { setNativeEnabled } from '../src/model/native/kernels.ts';
import { Rng } from '../src/model/rng.ts';
import { chooseToken, sample } from '../src/model/sampling.ts';
import { CharTokenizer } from '../src/model/tokenizer.ts';
import { Transformer } from '../src/model/transformer.ts';

let model: Transformer;
const prompts = [
  [1, 2, 3, 4, 5, 6],
  [7, 8],
  [9, 10, 11, 12],
];

before(async () => {
  await initBackend('wasm', { log: null });
  // Larger init scale than the default so the distribution is far from uniform and greedy choices are stable.
  model = new Transformer(
    { vocabSize: 29, dModel: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, ffnHidden: 48, maxSeqLen: 64 },
    5,
  );
  for (const v of model.variables()) if (v.rank === 2) v.assign(tf.mul(v, 20));
});
after(() => {
  model.dispose();
  tf.disposeVariables();
});

test('KV-cache sampling equals full recomputation (sampled and greedy) and leaks no tensors', () => {
  sample(model, prompts, { maxTokens: 2 }); // builds the model's cached masks/tables once
  const tensorsBefore = tf.memory().numTensors;
  for (const temperature of [1, 0]) {
    const cached = sample(model, prompts, { maxTokens: 20, temperature, seed: 7 });
    const full = sample(model, prompts, { maxTokens: 20, temperature, seed: 7, useCache: false });
    assert.deepEqual(cached.tokens, full.tokens);
    assert.deepEqual(cached.finishReasons, ['length', 'length', 'length']);
    const lp = cached.logprobs.flat();
    const reference = full.logprobs.flat();
    assert.ok(lp.every((x, i) => Math.abs(x - reference[i]) < 1e-4));
    assert.equal(cached.tokens[0].length, 20);
  }
  assert.equal(tf.memory().numTensors, tensorsBefore);
});

test('logprobs are the model’s own log-probabilities of the chosen tokens', () => {
  const { tokens, logprobs } = sample(model, [prompts[0]], { maxTokens: 5, seed: 3 });
  const sequence = [...prompts[0], ...tokens[0]];
  const logits = model.forward([sequence]);
  const logp = tf.logSoftmax(logits);
  const values = logp.arraySync()[0];
  tokens[0].forEach((token, i) => {
    assert.ok(Math.abs(values[prompts[0].length - 1 + i][token] - logprobs[0][i]) < 1e-4);
  });
  tf.dispose([logits, logp]);
});

test('rows are independent of padding and of the other rows (greedy)', () => {
  const batched = sample(model, prompts, { maxTokens: 10, temperature: 0 });
  prompts.forEach((prompt, r) => {
    const alone = sample(model, [prompt], { maxTokens: 10, temperature: 0 });
    assert.deepEqual(alone.tokens[0], batched.tokens[r]);
  });
});

test('masked tokens are never sampled', () => {
  const vocab = model.config.vocabSize;
  const evenOnly = new Uint8Array(vocab).map((_, i) => (i % 2 === 0 ? 1 : 0));
  const result = sample(model, prompts, {
    maxTokens: 30,
    temperature: 2,
    seed: 11,
    logitsMask: (_tokens, row) => (row === 0 ? evenOnly : row === 1 ? [3, 5, 28] : null),
  });
  assert.ok(result.tokens[0].every((t) => t % 2 === 0));
  assert.ok(result.tokens[1].every((t) => [3, 5, 28].includes(t)));
  assert.ok(
    result.tokens[2].some((t) => t % 2 === 1),
    'unmasked row samples freely',
  );
  assert.ok(new Set(result.tokens[1]).size > 1, 'temperature 2 explores the allowed set');
});

test('an empty allowance ends the row; stop strings and stop tokens end rows', () => {
  const tokenizer = new CharTokenizer('abcdefghijklmnopqrstuvwxyz|;<>');
  const target = tokenizer.encode('ab|cd');
  const forced = (tokens: number[]) => (tokens.length < target.length ? [target[tokens.length]] : []);
  const masked = sample(model, [prompts[0]], { maxTokens: 10, logitsMask: forced });
  assert.deepEqual(masked.tokens[0], target);
  assert.equal(masked.finishReasons[0], 'mask');
  const stopped = sample(model, [prompts[0], prompts[1]], {
    maxTokens: 10,
    logitsMask: forced,
    stop: ['b|'],
    decode: (ids) => tokenizer.decode(ids),
  });
  assert.deepEqual(stopped.tokens[0], tokenizer.encode('ab|'));
  assert.deepEqual(stopped.finishReasons, ['stop', 'stop']);
  const byToken = sample(model, [prompts[2]], {
    maxTokens: 10,
    logitsMask: forced,
    stopTokenIds: [target[1]],
  });
  assert.deepEqual(byToken.tokens[0], target.slice(0, 2));
});

test('sampling is seeded: same seed same tokens, different seed different tokens', () => {
  const a = sample(model, prompts, { maxTokens: 12, seed: 1 });
  const b = sample(model, prompts, { maxTokens: 12, seed: 1 });
  const c = sample(model, prompts, { maxTokens: 12, seed: 2 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.tokens, c.tokens);
  const shared = sample(model, prompts, { maxTokens: 12, rng: new Rng(1) });
  assert.deepEqual(
    shared,
    sample(model, prompts, { maxTokens: 12, rng: new Rng(1) }),
    'one shared stream, seeded',
  );
});

test('each row has its own stream: any split of the rows samples what the whole batch does, bit for bit', () => {
  const many = Array.from({ length: 9 }, (_, i) => prompts[i % prompts.length]!.slice(0, 2 + (i % 5)));
  const options = { maxTokens: 16, temperature: 1.5, seed: 5 };
  const padTo = Math.max(...many.map((p) => p.length));
  const whole = sample(model, many, options);
  for (const cuts of [
    [0, 4, 9],
    [0, 1, 2, 3, 9],
    [0, 3, 6, 9],
  ]) {
    const parts = cuts.slice(1).map((end, i) => {
      const start = cuts[i]!;
      return sample(model, many.slice(start, end), { ...options, firstRow: start, padTo });
    });
    assert.deepEqual(
      {
        tokens: parts.flatMap((p) => p.tokens),
        logprobs: parts.flatMap((p) => p.logprobs),
        finishReasons: parts.flatMap((p) => p.finishReasons),
      },
      whole,
    );
  }
});

for (const path of ['native', 'stock'] as const) {
  test(`${path}: a row that finished is no longer fed, and every row samples what it samples alone`, () => {
    setNativeEnabled(path === 'native');
    const run = model.run.bind(model);
    try {
      const many = Array.from({ length: 7 }, (_, i) => prompts[i % prompts.length]!.slice(0, 1 + (i % 4)));
      const padTo = Math.max(...many.map((p) => p.length));
      const options = { maxTokens: 24, temperature: 1.5, seed: 11, stopTokenIds: [3, 17] };
      const fed: number[] = [];
      model.run = (input) => {
        // Rows fed: the batch, or (native decoding) the tokens placed, one per row when no mask forces any.
        fed.push(input.buffers?.places ? input.buffers.places.length / 3 : input.batch);
        return run(input);
      };
      const whole = sample(model, many, options);
      model.run = run;
      const lengths = whole.tokens.map((t) => t.length);
      assert.ok(new Set(lengths).size >= 3, `rows end at different steps: ${lengths}`);
      // The prompt feeds every row; after k tokens, only the rows that go on past k.
      assert.deepEqual(
        fed,
        Array.from({ length: Math.max(...lengths) }, (_, k) => lengths.filter((n) => n > k).length),
      );
      many.forEach((prompt, row) => {
        const alone = sample(model, [prompt], { ...options, firstRow: row, padTo });
        assert.deepEqual(alone.tokens[0], whole.tokens[row], `row ${row}`);
        assert.deepEqual(alone.finishReasons[0], whole.finishReasons[row]);
        assert.ok(alone.logprobs[0]!.every((x, i) => Math.abs(x - whole.logprobs[row]![i]!) < 1e-5));
      });
      const recomputed = sample(model, many, { ...options, useCache: false });
      assert.deepEqual(recomputed.tokens, whole.tokens);
    } finally {
      model.run = run;
      setNativeEnabled(true);
    }
  });
}

test('tokens a mask forces are fed with the sampled one: same tokens and log-probabilities, fewer runs', () => {
  // Each row's mask alternates free choices with forced runs of 1–3 tokens, which end in a stop token, an empty
  // mask or the token limit.
  const free = [1, 4, 9, 16, 21, 25];
  const mask = (tokensSoFar: number[], row: number): number[] => {
    const n = tokensSoFar.length;
    if (row === 1 && n >= 13) return [];
    const last = tokensSoFar[n - 1] ?? 0;
    const run = 1 + (last % 3);
    const sinceFree = n - (tokensSoFar.findLastIndex((t) => free.includes(t)) + 1);
    return n === 0 || sinceFree >= run ? free : [(last * 7 + row + sinceFree) % 29];
  };
  const many = [...prompts, [5, 6, 7, 8, 9, 10, 11]];
  const options = { maxTokens: 22, temperature: 1.3, seed: 5, logitsMask: mask, stopTokenIds: [27] };
  const counting = (path: 'native' | 'stock', feedForced = true) => {
    setNativeEnabled(path === 'native');
    const run = model.run.bind(model);
    let runs = 0;
    model.run = (input) => {
      runs++;
      return run(input);
    };
    try {
      return { ...sample(model, many, { ...options, feedForced }), runs };
    } finally {
      model.run = run;
      setNativeEnabled(true);
    }
  };
  const native = counting('native');
  const oneByOne = counting('native', false);
  const stock = counting('stock');
  // The same kernels a token at a time compute the same numbers, bit for bit.
  assert.deepEqual(native.tokens, oneByOne.tokens);
  assert.deepEqual(native.logprobs, oneByOne.logprobs);
  assert.equal(oneByOne.runs, stock.runs);
  assert.deepEqual(native.tokens, stock.tokens);
  assert.deepEqual(native.finishReasons, stock.finishReasons);
  assert.ok(new Set(native.finishReasons).size >= 2, `rows end in several ways: ${native.finishReasons}`);
  const gaps = native.logprobs.flat().map((x, i) => Math.abs(x - stock.logprobs.flat()[i]!));
  assert.ok(Math.max(...gaps) < 1e-5, `largest log-probability gap ${Math.max(...gaps)}`);
  // One run a free choice: the longest row's free tokens, plus the prompt's run.
  const freeChoices = native.tokens.map(
    (row) => row.filter((_, i) => i === 0 || free.includes(row[i - 1]!)).length,
  );
  assert.ok(
    native.runs <= Math.max(...freeChoices) + 1,
    `${native.runs} runs for ${freeChoices} free choices`,
  );
  assert.equal(stock.runs, Math.max(...stock.tokens.map((t) => t.length)));
  const recomputed = sample(model, many, { ...options, useCache: false });
  assert.deepEqual(recomputed.tokens, native.tokens);
});

test('chooseToken: temperature, top-p and greedy', () => {
  const logits = Float32Array.from([0, 2, 1, -1]);
  const rng = new Rng(9);
  assert.equal(chooseToken(logits, null, 0, 1, rng), 1);
  assert.equal(chooseToken(logits, Uint8Array.from([1, 0, 1, 1]), 0, 1, rng), 2);
  for (let i = 0; i < 50; i++)
    assert.equal(chooseToken(logits, null, 1, 0.5, rng), 1, 'top-p 0.5 keeps the top token');
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 4000; i++) counts[chooseToken(logits, null, 1, 1, rng)]++;
  const z = 1 + Math.exp(2) + Math.exp(1) + Math.exp(-1);
  for (const [i, n] of counts.entries()) {
    assert.ok(Math.abs(n / 4000 - Math.exp(logits[i]) / z) < 0.03, `token ${i}`);
  }
  const topTwo = [0, 0, 0, 0];
  for (let i = 0; i < 2000; i++) topTwo[chooseToken(logits, null, 1, 0.8, rng)]++;
  assert.equal(topTwo[0] + topTwo[3], 0, 'top-p 0.8 keeps tokens 1 and 2 only');
});

test('a logits bias steers the choice while the recorded log-probabilities stay the model’s', () => {
  const greedy = sample(model, [prompts[0]], { maxTokens: 6, temperature: 0 });
  // A large bias towards a token the model would not pick: greedy decoding now picks it every time.
  const forced = greedy.tokens[0][0] === 3 ? 4 : 3;
  const steered = sample(model, [prompts[0]], {
    maxTokens: 6,
    temperature: 0,
    logitsBias: () => new Map([[forced, 1e4]]),
  });
  assert.deepEqual(steered.tokens[0], Array(6).fill(forced));
  const sequence = [...prompts[0], ...steered.tokens[0]];
  const logits = model.forward([sequence]);
  const logp = tf.logSoftmax(logits);
  const values = logp.arraySync()[0];
  steered.tokens[0].forEach((token, i) => {
    assert.ok(Math.abs(values[prompts[0].length - 1 + i][token] - steered.logprobs[0][i]) < 1e-4);
  });
  tf.dispose([logits, logp]);
});
