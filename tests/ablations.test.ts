// The embedded default's ablations (docs/learning.md) answer one question each only if they differ from
// examples/tiny-zero.yaml in nothing but what they ablate: the same model, learner, budget, batch, inputs per
// program, supervised term and held-out set.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadTopology } from '../src/run/load.ts';

type Entry = { name: string; options?: Record<string, unknown> };

const without = (o: Record<string, unknown> | undefined, keys: string[]) =>
  Object.fromEntries(Object.entries(o ?? {}).filter(([k]) => !keys.includes(k)));

async function entries(file: string) {
  const { topology } = await loadTopology(file);
  // Each actor's options carry the topology's plugin list (compared on its own below).
  const actors = new Map(
    (topology.actors as Entry[]).map((a) => [a.name, { ...a, options: without(a.options, ['plugins']) }]),
  );
  const plugins = topology.plugins as { use: string; options?: Record<string, unknown> }[];
  return { topology, actors, plugins };
}

const ablations: Record<string, { coordinator: string[]; proposer?: string[]; tinyPython?: string[] }> = {
  'examples/tiny-zero-frozen-proposer.yaml': { coordinator: ['rollouts', 'rolloutPairs', 'reinforce'] },
  'examples/tiny-zero-supervised-only.yaml': { coordinator: ['rollouts', 'rolloutPairs', 'reinforce'] },
  'examples/tiny-zero-random-grammar.yaml': {
    coordinator: ['rollouts', 'rolloutPairs', 'reinforce'],
    proposer: ['source'],
  },
};

for (const [file, differs] of Object.entries(ablations)) {
  test(`${file} is tiny-zero but for what it ablates`, async () => {
    const base = await entries('examples/tiny-zero.yaml');
    const ablation = await entries(file);
    assert.deepEqual(ablation.topology.run, base.topology.run, 'the same budget');
    assert.equal(ablation.topology.seed, base.topology.seed);
    for (const name of ['learner', 'solver', 'validator'])
      assert.deepEqual(ablation.actors.get(name), base.actors.get(name), name);
    assert.deepEqual(
      without(ablation.actors.get('proposer')?.options, differs.proposer ?? []),
      without(base.actors.get('proposer')?.options, differs.proposer ?? []),
      'proposer',
    );
    assert.deepEqual(
      without(ablation.actors.get('coordinator')?.options, differs.coordinator),
      without(base.actors.get('coordinator')?.options, differs.coordinator),
      'coordinator',
    );
    const tinyPython = (p: typeof base.plugins) => p.find((x) => x.use === 'tiny-python')?.options;
    assert.deepEqual(
      without(tinyPython(ablation.plugins), differs.tinyPython ?? []),
      tinyPython(base.plugins),
      'tiny-python: the same inputs per program and proposal length',
    );
  });
}
