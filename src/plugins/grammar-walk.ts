// What a mode's grammar writes on its own, with no model: a random walk of its constraint (the random-grammar
// ablation, docs/learning.md). Each next character is drawn from the constraint's prior over the allowed ones (its
// `bias`, as log-weights: tiny-python's `grammarPrior`), or uniformly when it has none.
import type { TextConstraint } from './api.ts';

/** One walk of `constraint` from the empty completion, until it allows nothing more or `maxChars` are written. */
export function walkGrammar(constraint: TextConstraint, random: () => number, maxChars: number): string {
  let text = '';
  while (text.length < maxChars) {
    const allowed = constraint.allowedNext(text);
    if (allowed.length === 0) break;
    text += allowed[pick(constraint.bias?.(text), allowed.length, random)];
  }
  return text;
}

/** An index below `n`: by the softmax of `logWeights`, or uniform without them. */
function pick(logWeights: readonly number[] | undefined, n: number, random: () => number): number {
  if (!logWeights) return Math.min(n - 1, Math.floor(random() * n));
  const top = Math.max(...logWeights);
  const weights = logWeights.map((w) => Math.exp(w - top));
  let r = random() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < n; i++) {
    r -= weights[i]!;
    if (r < 0) return i;
  }
  return n - 1;
}
