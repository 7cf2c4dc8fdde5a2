// What the two generating actors (proposer, solver) share: their options, their start, and taking new weights.
import { type Static, Type } from '@sinclair/typebox';
import {
  Backend,
  ensureBackend,
  Policy,
  SamplingOptions,
  type WeightsPayload,
  WeightsPayloadSchema,
} from './policy.ts';
import { loadActorPlugins, PluginOptions } from './plugins.ts';

export const GeneratorOptions = Type.Object({
  ...PluginOptions,
  backend: Backend,
  sampling: Type.Optional(SamplingOptions),
});

export const setWeightsMessage = {
  request: Type.Object({ payload: WeightsPayloadSchema }),
  reply: Type.Object({ version: Type.Integer(), computeMs: Type.Number() }),
};

export async function startGenerator(options: Static<typeof GeneratorOptions>) {
  await ensureBackend(options.backend);
  return {
    modes: (await loadActorPlugins(options)).modes,
    sampling: { temperature: 1, topP: 1, maxTokens: 256, ...options.sampling },
    policy: new Policy(),
  };
}

export async function takeWeights(policy: Policy, payload: WeightsPayload) {
  const started = performance.now();
  await policy.load(payload);
  return { version: policy.version, computeMs: performance.now() - started };
}
