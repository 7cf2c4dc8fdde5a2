import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
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

test("the external example's own tests pass from its own folder (npm test there)", async () => {
  const folder = fileURLToPath(new URL('../examples/plugins/diversity-reward/', import.meta.url));
  // Without the outer runner's context, the inner one reports on stdout, as it does for a user.
  const { NODE_TEST_CONTEXT: _outer, ...env } = process.env;
  const { stdout } = await promisify(execFile)('npm', ['test'], { cwd: folder, env });
  assert.match(stdout, /# pass 2\n# fail 0/);
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
