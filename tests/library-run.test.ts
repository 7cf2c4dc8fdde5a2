// `run` from code: the embedded default for one step into a temporary folder, its events in order, and a stop
// asked through the signal.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type RunEvent, run } from '../src/index.ts';

const topology = 'examples/tiny-zero.yaml';
const scratch = () => join(mkdtempSync(join(tmpdir(), 'azr-library-')), 'run');
const metricsLines = (runDir: string) =>
  readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

test('run(tiny-zero, { steps: 1 }) seeds, steps, checkpoints and writes the summary', async () => {
  const out = scratch();
  const events: RunEvent[] = [];
  const summary = await run(topology, {
    out,
    steps: 1,
    seed: 7,
    onEvent: (e) => events.push(e),
    log: () => {},
  });
  const order = events
    .map((e) => (e.type === 'step' || e.type === 'checkpoint' ? `${e.type} ${e.step}` : e.type))
    .filter((e) => ['seeded', 'step 1', 'checkpoint 1', 'done'].includes(e));
  assert.deepEqual(order, ['seeded', 'step 1', 'checkpoint 1', 'done']);
  assert.equal(events.at(-1)?.type, 'done');
  assert.equal(summary.steps, 1);
  assert.equal(summary.interrupted, false);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')), summary);
  assert.deepEqual(
    metricsLines(out).map((line) => line.step),
    [0, 1],
    'held-out before training (step 0), then step 1',
  );
  assert.ok(existsSync(join(out, 'run.json')) && existsSync(join(out, 'report.html')));
});

test('aborting the signal stops the run after the current step, with a checkpoint', async () => {
  const out = scratch();
  const stop = new AbortController();
  const steps: number[] = [];
  const summary = await run(topology, {
    out,
    steps: 3,
    seed: 7,
    signal: stop.signal,
    log: () => {},
    onEvent: (event) => {
      if (event.type !== 'step') return;
      steps.push(event.step);
      stop.abort();
    },
  });
  assert.deepEqual(steps, [1]);
  assert.equal(summary.interrupted, true);
  assert.equal(summary.steps, 1);
  assert.deepEqual(readdirSync(join(out, 'checkpoints')), ['step-1']);
});

test("README's and docs/library.md's example is examples/run-from-code.ts, as it runs", () => {
  const example = readFileSync('examples/run-from-code.ts', 'utf8');
  const code = example.slice(example.indexOf("import { run } from 'azr';"));
  for (const doc of ['README.md', 'docs/library.md'])
    assert.ok(readFileSync(doc, 'utf8').includes(`\`\`\`ts\n${code}\`\`\``), `${doc} shows the example`);
});
