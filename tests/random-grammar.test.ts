// The random-grammar ablation (docs/learning.md): a proposer with `source: grammar` writes random walks of the
// mode's grammar instead of sampling the model. The walk itself (pure), then the ablation's topology for one step:
// the tasks it adds do not depend on the model at all, and are not trained on as proposals.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { bufferProtocol } from '../actors/buffer.ts';
import type { coordinatorProtocol } from '../actors/coordinator.ts';
import { builtinPlugins } from '../plugins/index.ts';
import { GrammarConstraint } from '../plugins/tiny-python/grammar.ts';
import { proposalGrammar } from '../plugins/tiny-python/subset.ts';
import { Rng } from '../src/model/rng.ts';
import { loadPlugins, type Task, walkGrammar } from '../src/plugins/index.ts';
import { loadTopology } from '../src/run/load.ts';
import { buildTopology } from '../src/topology/index.ts';

const walks = (constraint: GrammarConstraint, seed: number, n: number) => {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => walkGrammar(constraint, () => rng.next(), constraint.budget));
};

describe('walkGrammar', () => {
  test('every walk is a complete sentence of the grammar within its budget; the same seed, the same walks', () => {
    for (const prior of [0, 1]) {
      const constraint = new GrammarConstraint(proposalGrammar(4), 360, prior);
      const texts = walks(constraint, 5, 40);
      for (const text of texts) {
        assert.ok(text.length <= 360);
        assert.deepEqual(constraint.allowedNext(text), [], `complete: ${JSON.stringify(text)}`);
      }
      assert.deepEqual(walks(constraint, 5, 40), texts);
      assert.ok(new Set(texts).size > 30, 'random programs, not one');
    }
  });

  test("with the grammar's prior the walks parse as tiny-python proposals of 4 inputs, every input type alike", async () => {
    const { modes } = await loadPlugins(
      [{ use: 'tiny-python', options: { inputsPerProposal: 4, maxProposalTokens: 360, grammarPrior: 1 } }],
      { builtins: builtinPlugins },
    );
    const deduction = modes.get('deduction')!;
    const constraint = deduction.constraint!('proposer') as GrammarConstraint;
    const texts = walks(constraint, 11, 300);
    const parsed = texts.map((text) => deduction.parseProposal(text));
    const ok = parsed.filter((p) => p.ok);
    assert.ok(ok.length > 150, `${ok.length} of 300 parse (those that never read x are refused)`);
    const types = new Set(
      ok.map((p) => {
        const first = p.ok ? String((p.value as { inputs: string[] }).inputs[0]) : '';
        return first.startsWith('[')
          ? 'list'
          : first.startsWith("'")
            ? 'str'
            : /^-?\d/.test(first)
              ? 'int'
              : first;
      }),
    );
    assert.deepEqual([...types].sort(), ['int', 'list', 'str'], 'every input type, and nothing else');
  });
});

/** The random-grammar ablation's topology (`set` as --set), seeded, one step; the step's new tasks. */
async function stepOne(set: string[]): Promise<Task[]> {
  const system = buildTopology(
    await loadTopology('examples/tiny-zero-random-grammar.yaml', {
      set: ['run.steps=1', ...set],
    }),
  );
  try {
    const coordinator = system.lookup<typeof coordinatorProtocol.spec>('coordinator');
    await system.whileRunning(coordinator.ask({ type: 'seed' }));
    const line = await system.whileRunning(coordinator.ask({ type: 'step', step: 1 }));
    assert.ok(Number(line['deduction.newTasks']) > 0);
    const held = await system.lookup<typeof bufferProtocol.spec>('buffer-deduction').ask({ type: 'all' });
    return held.filter((task) => task.step === 1);
  } finally {
    await system.stop();
  }
}

test("the ablation's tasks are the grammar's, whatever the model: two different models, the same tasks", async () => {
  const small = await stepOne(['actors.learner.options.model.dModel=64']);
  const large = await stepOne([]);
  const key = (tasks: Task[]) => tasks.map((t) => [t.id, t.code, t.input, t.output]);
  assert.ok(small.length >= 16, `${small.length} tasks`);
  assert.deepEqual(key(small), key(large));
});
