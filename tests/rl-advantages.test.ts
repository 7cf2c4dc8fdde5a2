import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trrAdvantages } from '../src/rl/advantages.ts';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) < tol, `${a} vs ${b}`);

test('TRR++ sequence whitening: separate mean/std per (task type, role) group', () => {
  // deduction/solver: rewards 1, -0.5, 1, -0.5 → μ = 0.25, σ = 0.75 → A = ±1
  // abduction/proposer: rewards 0.5, 0 → μ = 0.25, σ = 0.25 → A = ±1
  // induction/solver: a single sample → A = 0 (r − μ = 0)
  // abduction/solver: rewards 1, 0, 0, 0 → μ = 0.25, σ = sqrt(3)/4 → A = sqrt(3), −1/sqrt(3) ×3
  const items = [
    { reward: 1, group: 'deduction/solver' },
    { reward: 0.5, group: 'abduction/proposer' },
    { reward: -0.5, group: 'deduction/solver' },
    { reward: 1, group: 'deduction/solver' },
    { reward: 0.7, group: 'induction/solver' },
    { reward: 0, group: 'abduction/proposer' },
    { reward: -0.5, group: 'deduction/solver' },
    { reward: 1, group: 'abduction/solver' },
    { reward: 0, group: 'abduction/solver' },
    { reward: 0, group: 'abduction/solver' },
    { reward: 0, group: 'abduction/solver' },
  ];
  const { advantages, groups } = trrAdvantages(items);
  const expected = [
    1,
    1,
    -1,
    1,
    0,
    -1,
    -1,
    Math.sqrt(3),
    -1 / Math.sqrt(3),
    -1 / Math.sqrt(3),
    -1 / Math.sqrt(3),
  ];
  for (const [i, a] of advantages.entries()) close(a, expected[i], 1e-5);
  close(groups['deduction/solver'].mean, 0.25);
  close(groups['deduction/solver'].std, 0.75);
  assert.equal(groups['deduction/solver'].count, 4);
  close(groups['abduction/solver'].std, Math.sqrt(3) / 4);
});

test('TRR++ epsilon keeps a constant-reward group at zero advantage', () => {
  const { advantages } = trrAdvantages([
    { reward: 1, group: 'g' },
    { reward: 1, group: 'g' },
  ]);
  assert.deepEqual(advantages, [0, 0]);
});

test('TRR++ token-weighted whitening (reference-code option)', () => {
  // rewards 1 (3 tokens) and 0 (1 token): token mean 0.75; unbiased token variance (3·0.25² + 0.75²)/3 = 0.25
  // → A = (1 − 0.75)/0.5 = 0.5 and (0 − 0.75)/0.5 = −1.5
  const { advantages } = trrAdvantages(
    [
      { reward: 1, group: 'g', tokens: 3 },
      { reward: 0, group: 'g', tokens: 1 },
    ],
    { whitening: 'token' },
  );
  close(advantages[0], 0.5, 1e-6);
  close(advantages[1], -1.5, 1e-6);
});
