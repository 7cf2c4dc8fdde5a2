import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { azrOk } from './helpers/azr.ts';

test('a plugin that throws at run time is contained and counted in the metrics; the run goes on', async () => {
  const runDir = await mkdtemp(join(tmpdir(), 'azr-faulty-'));
  const { stdout } = await azrOk(
    'run',
    'tests/fixtures/plugins/faulty.yaml',
    '--steps',
    '2',
    '--out',
    runDir,
  );
  assert.match(stdout, /done after step 2/);
  const lines = (await readFile(join(runDir, 'metrics.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  for (const line of lines) {
    assert.ok(line['faults.shaper:explosive'] > 0, 'the throwing reward shaper was counted');
    assert.equal(line['faults.mode:flaky.prompt'], 1, 'one of the two prompts failed');
    assert.equal(
      line['faults.mode:flaky.parse'],
      3,
      'the surviving proposal and both solver answers failed to parse',
    );
    assert.equal(line['flaky.validRate'], 0);
    assert.ok(Number.isFinite(line['deduction.proposerReward']), 'the healthy mode still played');
  }
});
