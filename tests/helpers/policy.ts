// What the grammar-constrained sampling tests and bench/grammar.ts sample from: a Policy over a random
// character-level model, and the tiny-python modes constrained by their grammar as tiny-zero runs them.
import {
  ensureBackend,
  makeTokenizer,
  Policy,
  transformerConfig,
  weightsPayload,
} from '../../actors/policy.ts';
import { tinyPythonModes } from '../../plugins/tiny-python/index.ts';
import { Transformer } from '../../src/model/transformer.ts';

/** The model's shape: transformerConfig's options less the vocabulary (the character tokenizer's). */
export type ModelShape = Parameters<typeof transformerConfig>[0];

/** A Policy on `backend` holding a random character-level model of `shape`, seeded by `seed`. */
export async function randomCharPolicy(
  backend: 'wasm' | 'cpu',
  shape: ModelShape,
  seed: number,
): Promise<Policy> {
  await ensureBackend(backend);
  const tokenizer = await makeTokenizer({ type: 'char' });
  const model = new Transformer(transformerConfig(shape, tokenizer), seed);
  const policy = new Policy();
  await policy.load(weightsPayload(model, { type: 'char' }, 1));
  model.dispose();
  return policy;
}

/** The tiny-python modes with the grammar constraint on, one reference per prompt, answers of ≤ 32 tokens. */
export function constrainedTinyPython(maxProposalTokens = 128) {
  return tinyPythonModes({
    references: 1,
    maxProposalTokens,
    maxAnswerTokens: 32,
    constrain: true,
    requireInputUse: true,
  });
}
