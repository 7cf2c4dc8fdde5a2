import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TextConstraint } from '../src/plugins/index.ts';
import { randomCharPolicy } from './helpers/policy.ts';

test('a text constraint steers every sampled completion of a random model (grammar-constrained decoding)', async () => {
  const shape = { dModel: 16, nLayers: 1, nHeads: 2, ffnHidden: 32, maxSeqLen: 64, tieEmbeddings: true };
  const policy = await randomCharPolicy('cpu', shape, 3);
  /** Three digits, then a closing bracket, then the end. */
  const digits: TextConstraint = {
    allowedNext: (prefix) => (prefix.length < 3 ? [...'0123456789'] : prefix.length === 3 ? [']'] : []),
  };
  const prompts = [
    { text: 'n = [', stop: ['\n'] },
    { text: 'm = [', stop: ['\n'] },
  ];
  const generations = policy.generate(prompts, 8, { temperature: 1, topP: 1, maxTokens: 20 }, 11, [
    digits,
    undefined,
  ]);
  assert.equal(generations.length, 16);
  for (const g of generations.slice(0, 8)) assert.match(g.completion, /^\d{3}\]$/);
  assert.ok(
    generations.slice(8).some((g) => !/^\d{3}\]$/.test(g.completion)),
    'the unconstrained prompt is free',
  );

  // A constraint's bias (a prior over its allowed characters) steers the choice: here towards '7' only.
  const sevens: TextConstraint = {
    ...digits,
    bias: (prefix) => digits.allowedNext(prefix).map((c) => (c === '7' ? 50 : 0)),
  };
  const steered = policy.generate([prompts[0]!], 8, { temperature: 1, topP: 1, maxTokens: 20 }, 11, [sevens]);
  for (const g of steered) assert.equal(g.completion, '777]');
  policy.dispose();
});
