// The plugin's own tests, run from this folder: `npm test` (node's test runner with tsx, as azr's own tests).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Rollout, Task } from 'azr';
import plugin, { jaccardDistance, novelty, tokens } from './index.ts';

const task = (id: string, code: string): Task => ({
  id,
  mode: 'deduction',
  code,
  input: '1',
  output: '2',
  step: 1,
});

test('novelty is the token-set distance to the nearest buffered program', () => {
  assert.equal(jaccardDistance(tokens('def f(x): return x'), tokens('def f(x):\n    return x')), 0);
  assert.equal(jaccardDistance(new Set(['a']), new Set(['b'])), 1);
  const buffer = [task('a', 'def f(x):\n    return x + 1')];
  assert.equal(novelty('def f(x):\n    return x + 1', buffer, 10), 0);
  const other = novelty('def f(s):\n    return s.upper()', buffer, 10);
  assert.ok(other > 0.3 && other < 1, String(other));
  assert.equal(novelty('anything', [], 10), 1);
  assert.equal(novelty('def f(x):\n    return x + 1', [task('b', 'zzz'), ...buffer], 1), 0, 'the window');
});

test('the shaper pays valid proposals for novelty, weighted, and nothing else', () => {
  const [shaper] = plugin.rewardShapers!({ weight: 0.5, window: 8 });
  assert.equal(shaper!.name, 'diversity');
  assert.equal(shaper!.needsBuffer, true);
  const fresh = task('new', 'def f(s):\n    return s[::-1]');
  const buffer = [task('old', 'def f(x):\n    return x + 1'), fresh];
  const proposal: Rollout = {
    role: 'proposer',
    mode: 'deduction',
    completion: '',
    formatOk: true,
    valid: true,
    task: fresh,
  };
  const paid = shaper!.reward(proposal, { step: 1, buffer });
  assert.equal(
    paid,
    0.5 * novelty(fresh.code, buffer.slice(0, 1), 8),
    'its own buffered copy is not compared',
  );
  assert.ok(paid > 0);
  assert.equal(shaper!.reward({ ...proposal, valid: false }, { step: 1, buffer }), 0);
  assert.equal(shaper!.reward({ ...proposal, role: 'solver' }, { step: 1, buffer }), 0);
});
