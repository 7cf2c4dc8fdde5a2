// A task mode gets its buffer without a hand-written `buffer-<mode>` actor: the builder adds the missing ones.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../src/run/load.ts';
import { missingCompanions } from '../src/topology/build.ts';
import { azrOk } from './helpers/azr.ts';

// faulty.yaml names a plugin mode ("flaky") and lists only buffer-deduction; the run itself is in plugins-faults.
const config = 'tests/fixtures/plugins/faulty.yaml';

test('the builder adds an inline buffer for each played mode without one; explicit entries win', async () => {
  const loaded = await loadConfig(config);
  assert.deepEqual(missingCompanions(loaded), [
    {
      name: 'buffer-flaky',
      kind: 'buffer',
      count: 1,
      host: 'inline',
      restart: 'permanent',
      encode: true,
      options: { mode: 'flaky' },
    },
  ]);
  const coordinator = loaded.topology.actors.find((entry) => entry.kind === 'coordinator')!;
  coordinator.options = { ...coordinator.options, modes: ['deduction'] };
  assert.deepEqual(missingCompanions(loaded), [], 'only the modes the coordinator plays need a buffer');
  coordinator.options.modes = ['deduction', 'flaky'];
  loaded.topology.actors = loaded.topology.actors.filter((entry) => entry.kind !== 'buffer');
  assert.deepEqual(
    missingCompanions(loaded).map((entry) => entry.name),
    ['buffer-deduction', 'buffer-flaky'],
  );
});

test('azr topology check shows the added buffer in the actor tree, and the explicit one once', async () => {
  const { stdout } = await azrOk('topology', 'check', config);
  assert.match(stdout, /└─ buffer-flaky \[buffer\] inline/);
  assert.equal(stdout.match(/buffer-deduction \[buffer\]/g)?.length, 1);
});
