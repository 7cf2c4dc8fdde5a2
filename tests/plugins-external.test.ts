import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { jaccardDistance, novelty, tokens } from '../examples/plugins/diversity-reward/index.ts';
import { azr, azrOk } from './helpers/azr.ts';

test('the external diversity-reward plugin runs from its own config (azr run … --steps 1)', async () => {
  const runDir = await mkdtemp(join(tmpdir(), 'azr-external-'));
  const config = 'examples/plugins/diversity-reward/config.yaml';
  const { stdout } = await azrOk('run', config, '--steps', '1', '--out', runDir);
  assert.match(stdout, /done after step 1/);
  const [line] = (await readFile(join(runDir, 'metrics.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(line['faults.shaper:diversity'], undefined, 'the shaper ran without faults');
});

test('novelty is the token-set distance to the nearest buffered program', () => {
  assert.equal(jaccardDistance(tokens('def f(x): return x'), tokens('def f(x):\n    return x')), 0);
  assert.equal(jaccardDistance(new Set(['a']), new Set(['b'])), 1);
  const buffer = [
    { id: 'a', mode: 'deduction', code: 'def f(x):\n    return x + 1', input: '1', output: '2', step: 0 },
  ];
  assert.equal(novelty('def f(x):\n    return x + 1', buffer, 10), 0);
  const other = novelty('def f(s):\n    return s.upper()', buffer, 10);
  assert.ok(other > 0.3 && other < 1, String(other));
  assert.equal(novelty('anything', [], 10), 1);
});

test('azr topology check names the plugin and the option path of a bad plugin option', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'azr-plugin-opts-'));
  const file = join(dir, 'bad.yaml');
  const { writeFile } = await import('node:fs/promises');
  await writeFile(
    file,
    'plugins:\n  - { use: deduction, options: { references: -1 } }\nactors:\n  - { name: coordinator, kind: coordinator }\n',
  );
  const result = await azr('topology', 'check', file);
  assert.equal(result.code, 2);
  assert.match(
    result.stderr,
    /bad\.yaml:2:\d+: \/plugins\/0\/options\/references plugin "deduction": options\/references must be >= 0/,
  );
});
