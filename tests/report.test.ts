import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { run as reportCommand } from '../src/cli/report.ts';
import { heldoutAgainst, loadRun, parseMetrics, runLabels, writeReport } from '../src/report/index.ts';

const MODES = ['deduction', 'abduction', 'induction', 'code_e'];
const HOSTILE_NAME = '<script>alert("x")</script> & co';

/** A metrics line shaped like the coordinator's, with values that drift over the steps. */
function metricsLine(step: number, modes = MODES): Record<string, unknown> {
  const line: Record<string, unknown> = { step };
  modes.forEach((mode, i) => {
    const progress = step / 50;
    Object.assign(line, {
      [`${mode}.validRate`]: Math.min(1, progress + i * 0.05),
      [`${mode}.formatErrorRate`]: 1 - progress,
      [`${mode}.bufferSize`]: 4 + step,
      [`${mode}.solveRate`]: progress / (i + 1),
      [`${mode}.proposerReward`]: progress - 0.5,
      [`${mode}.solverReward`]: progress * 2 - 1,
      [`${mode}.programChars`]: 100 + step * (i + 1),
      [`${mode}.topOutputShare`]: 1 / (1 + step),
      [`reward.${mode}.proposer.learnability`]: progress / 2,
      [`reward.${mode}.proposer.format`]: progress / 2 - 0.5,
      [`reward.${mode}.solver.correctness`]: progress * 2 - 1,
    });
  });
  // A plugin that faults on every third step, with a message that changes once.
  if (step % 3 === 0)
    Object.assign(line, {
      'faults.shaper:explosive': 2,
      'faultMessage.shaper:explosive': step < 30 ? 'Error: <boom>' : 'RangeError: too far',
    });
  Object.assign(line, {
    version: step,
    'learner.loss': 1 / step,
    'learner.pgLoss': 0.5 / step,
    'learner.entropy': 4.5 - step * 0.01,
    'learner.gradNorm': 0.00007 * step,
    'learner.clipFraction': 0.1,
    'learner.responseTokens': 3000 + step,
    'time.generation': 1800 + step,
    'time.execution': 200,
    'time.learning': 3600,
    'time.buffers': 15,
    'time.overhead': 20,
    'time.wallMs': 5635 + step,
  });
  if (step % 10 === 0) for (const mode of MODES.slice(0, 3)) line[`heldout.${mode}`] = step / 100;
  return line;
}

async function makeRunDir(parent: string, name: string, lines: string[], summary?: unknown) {
  const dir = join(parent, name);
  await mkdir(join(dir, 'checkpoints'), { recursive: true });
  await writeFile(join(dir, 'metrics.jsonl'), `${lines.join('\n')}\n`);
  if (summary !== undefined) await writeFile(join(dir, 'summary.json'), JSON.stringify(summary));
  return dir;
}

/** The legend texts of the chart with that data-chart id. */
function legendOf(html: string, chart: string): string[] {
  const start = html.indexOf(`<svg data-chart="${chart}"`);
  assert.notEqual(start, -1, `no chart ${chart}`);
  const svg = html.slice(start, html.indexOf('</svg>', start));
  return [...svg.matchAll(/<g class="legend-item">.*?<text[^>]*>([^<]*)<\/text><\/g>/g)].map((m) => m[1]!);
}

/** Runs the command with console output captured. */
async function runCommand(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...parts: unknown[]) => out.push(parts.join(' '));
  console.error = (...parts: unknown[]) => err.push(parts.join(' '));
  try {
    const code = await reportCommand(args);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    Object.assign(console, { log, error });
  }
}

let scratch: string;
before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'azr-report-test-'));
});
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('report of a synthetic run', () => {
  let html: string;
  let dir: string;
  before(async () => {
    const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify(metricsLine(i + 1)));
    lines[9] = lines[9]!.replace(/"deduction\.solveRate":[^,]+/, '"deduction.solveRate":NaN');
    lines[14] = lines[14]!.replace(/"abduction\.proposerReward":[^,]+/, '"abduction.proposerReward":null');
    lines[22] = lines[22]!.slice(0, 40); // a line cut off mid-write
    dir = await makeRunDir(scratch, 'synthetic', lines, {
      name: HOSTILE_NAME,
      steps: 50,
      wallMs: 281_750,
      interrupted: false,
      heldout: {
        deduction: { before: 0.1, after: 0.35, baselines: { mostCommon: 0.2, identity: 0.05 } },
        abduction: { before: 0.2, after: 0.15, baselines: { mostCommon: 0.1 } },
      },
    });
    html = await readFile(await writeReport(dir), 'utf8');
  });

  test('has one <svg> per expected chart', () => {
    for (const chart of [
      'reward',
      'valid-rate',
      'solve-rate',
      'program-chars',
      'top-output-share',
      'heldout',
      'learner-loss',
      'learner-entropy',
      'learner-grad-norm',
      'step-time',
      'mode-formatErrorRate',
      'mode-bufferSize',
    ])
      assert.equal(html.split(`<svg data-chart="${chart}"`).length, 2, `chart ${chart} once`);
  });

  test('every mode is in the legends, rewards per mode and role', () => {
    assert.deepEqual(
      legendOf(html, 'reward'),
      MODES.flatMap((mode) => [`${mode} proposer`, `${mode} solver`]),
    );
    for (const chart of ['valid-rate', 'solve-rate', 'program-chars', 'top-output-share'])
      assert.deepEqual(legendOf(html, chart), MODES);
    assert.deepEqual(legendOf(html, 'heldout'), MODES.slice(0, 3));
    assert.deepEqual(legendOf(html, 'step-time'), [
      'generation',
      'execution',
      'learning',
      'buffers',
      'overhead',
      'whole step',
    ]);
  });

  test('plugin faults are not a task mode; they are listed with their counts and first messages', () => {
    assert.match(html, /<dt>task modes<\/dt><dd>deduction, abduction, induction, code_e<\/dd>/);
    assert.equal(html.split('<svg data-chart="reward"').length, 2);
    assert.doesNotMatch(html, /faults (proposer|solver)/, 'no reward legend for a "faults" mode');
    // Steps 3, 6, …, 48: 16 steps with 2 faults each; the cut-off line 23 is not among them.
    assert.match(
      html,
      /<tr><th>shaper:explosive<\/th><td>32<\/td><td>16<\/td><td>step 3: Error: &lt;boom&gt;<br>step 30: RangeError: too far<\/td><\/tr>/,
    );
  });

  test("each reward shaper's terms are charted per mode, per role", () => {
    MODES.forEach((mode, i) => {
      assert.match(html, new RegExp(`<figcaption>Reward terms: ${mode}</figcaption>`));
      assert.deepEqual(legendOf(html, `reward-terms-${i}`), [
        'learnability proposer',
        'format proposer',
        'correctness solver',
      ]);
    });
  });

  test('reports the corrupt line and keeps the other 49 steps', () => {
    assert.match(html, /line 23 skipped: not valid JSON/);
    assert.match(html, /metrics for 49 steps: 1–50/);
  });

  test('escapes user-controlled strings', () => {
    assert.doesNotMatch(html, /<script/i);
    assert.match(html, /<h1>azr report: &lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &amp; co<\/h1>/);
  });

  test('is self-contained', () => {
    assert.doesNotMatch(html, /\b(src|href)=/);
    assert.deepEqual(
      [...new Set(html.match(/https?:\/\/[^"\s]+/g))],
      ['http://www.w3.org/2000/svg'],
      'only the SVG namespace, nothing fetched',
    );
  });

  test('shows the header and the held-out table', () => {
    assert.match(html, /<dt>wall time<\/dt><dd>4 min 42 s<\/dd>/);
    assert.match(html, /<th>baseline: most common<\/th><th>baseline: identity<\/th>/);
    assert.match(
      html,
      /<tr><th>deduction<\/th><td>0.1<\/td><td>0.35<\/td><td>\+0.25<\/td><td>0.2<\/td><td>0.05<\/td><\/tr>/,
    );
    assert.match(
      html,
      /<tr><th>abduction<\/th><td>0.2<\/td><td>0.15<\/td><td>-0.05<\/td><td>0.1<\/td><td>—<\/td><\/tr>/,
    );
  });
});

describe('parseMetrics', () => {
  test('NaN and null are gaps, missing keys are absent, bad lines are listed', () => {
    const parsed = parseMetrics(
      [
        '{"step":2,"a.solveRate":0.5,"note":"text is ignored"}',
        '',
        '{"step":1,"a.solveRate":NaN,"b.solveRate":1}',
        '[1,2]',
        '{"a.solveRate":1}',
        '{"step":2,"a.solveRate":-Infinity}',
        '{"step":3,',
      ].join('\n'),
    );
    assert.deepEqual(
      parsed.rows.map((row) => [row.step, Object.fromEntries(row.values)]),
      [
        [1, { 'a.solveRate': null, 'b.solveRate': 1 }],
        [2, { 'a.solveRate': null }],
      ],
    );
    assert.deepEqual(parsed.duplicateSteps, [2]);
    assert.deepEqual(
      parsed.skipped.map((s) => [s.line, s.reason.replace(/ \(.*/, '')]),
      [
        [4, 'not a JSON object'],
        [5, 'no numeric "step"'],
        [7, 'not valid JSON'],
      ],
    );
  });
});

describe('edge cases', () => {
  test('a single step, no summary, no held-out evaluation', async () => {
    const dir = await makeRunDir(scratch, 'one-step', [JSON.stringify(metricsLine(1, ['deduction']))]);
    const html = await readFile(await writeReport(dir), 'utf8');
    assert.match(html, /no held-out evaluation in this run/);
    assert.doesNotMatch(html, /data-chart="heldout"/);
    assert.match(html, /summary\.json not found/);
    // One point: a dot (zero-length subpath) and a marker, not an empty chart.
    const reward = html.slice(html.indexOf('<svg data-chart="reward"'));
    assert.match(reward.slice(0, reward.indexOf('</svg>')), /<path d="M[\d.]+ [\d.]+h0"[\s\S]*<circle/);
  });

  test("a proposer with a model of its own: its statistics beside the solver's", async () => {
    const lines = [1, 2].map((step) =>
      JSON.stringify({
        ...metricsLine(step, ['deduction']),
        'learner.proposer.entropy': 4.4,
        'learner.proposer.loss': 0.2,
        'learner.proposer.responseTokens': 1600,
      }),
    );
    const html = await readFile(await writeReport(await makeRunDir(scratch, 'own', lines)), 'utf8');
    assert.deepEqual(legendOf(html, 'learner-entropy'), ['entropy', 'proposer.entropy']);
    assert.deepEqual(legendOf(html, 'learner-loss'), ['loss', 'pg loss', 'proposer.loss']);
    assert.deepEqual(legendOf(html, 'learner-tokens'), ['response tokens', 'proposer.response tokens']);
  });

  test('thousands of steps stay small', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify(metricsLine(i + 1)));
    const dir = await makeRunDir(scratch, 'long', lines, { name: 'long', steps: 3000, wallMs: 1e7 });
    const html = await readFile(await writeReport(dir), 'utf8');
    assert.ok(html.length < 1_200_000, `report is ${html.length} characters`);
    assert.doesNotMatch(html, /<circle/, 'no per-point markers on long series');
    assert.match(html, /<dt>wall time<\/dt><dd>2 h 46 min<\/dd>/);
  });

  test('an empty metrics.jsonl gives a page that says so', async () => {
    const dir = await makeRunDir(scratch, 'empty', []);
    const html = await readFile(await writeReport(dir), 'utf8');
    assert.match(html, /metrics\.jsonl holds no steps yet/);
  });
});

describe('azr report', () => {
  test('exit 2 on a missing directory, a file, or a directory without metrics.jsonl', async () => {
    const missing = await runCommand([join(scratch, 'no-such-run')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no-such-run: no such directory; run `azr run CONFIG --out DIR` first/);

    const empty = join(scratch, 'empty-dir');
    await mkdir(empty);
    const noMetrics = await runCommand([empty]);
    assert.equal(noMetrics.code, 2);
    assert.match(noMetrics.stderr, /metrics\.jsonl: not found.*azr run CONFIG --out DIR/);

    const file = join(scratch, 'a-file');
    await writeFile(file, '');
    assert.equal((await runCommand([file])).code, 2);
  });

  test('exit 2 on bad arguments', async () => {
    assert.equal((await runCommand([])).code, 2);
    assert.match((await runCommand(['--steps', '3'])).stderr, /unknown option --steps/);
    assert.match((await runCommand(['a', 'b', '--out'])).stderr, /--out needs a FILE/);
    assert.match((await runCommand(['a', '--out', 'x.html'])).stderr, /--out is for comparing several runs/);
  });

  test('several runs: one comparison page, each held-out mode against steps, minutes and new tasks', async () => {
    // Run "fast": 10 new deduction tasks and 30 s a step; "slow": 40 tasks and 60 s. Held-out every 2 steps.
    const line = (step: number, tasks: number, ms: number) =>
      JSON.stringify({
        step,
        'deduction.newTasks': tasks,
        'time.wallMs': ms,
        ...(step % 2 === 0 ? { 'heldout.deduction': step / 10 } : {}),
      });
    const run = (name: string, tasks: number, ms: number) =>
      makeRunDir(scratch, name, [
        JSON.stringify({ step: 0, 'heldout.deduction': 0 }),
        ...[1, 2, 3, 4].map((step) => line(step, tasks, ms)),
      ]);
    const [fast, slow] = [await run('fast', 10, 30_000), await run('slow', 40, 60_000)];
    const [fastRun, slowRun] = [await loadRun(fast), await loadRun(slow)];
    assert.deepEqual(heldoutAgainst(fastRun, 'deduction', 'step'), [
      [0, 0],
      [2, 0.2],
      [4, 0.4],
    ]);
    assert.deepEqual(heldoutAgainst(fastRun, 'deduction', 'minutes'), [
      [0, 0],
      [1, 0.2],
      [2, 0.4],
    ]);
    assert.deepEqual(heldoutAgainst(slowRun, 'deduction', 'tasks'), [
      [0, 0],
      [80, 0.2],
      [160, 0.4],
    ]);

    const out = join(scratch, 'compare.html');
    const { code, stdout, stderr } = await runCommand([fast, slow, '--out', out]);
    assert.equal(code, 0, stderr);
    assert.equal(stdout, out);
    const html = await readFile(out, 'utf8');
    for (const axis of ['step', 'minutes', 'tasks'])
      assert.deepEqual(legendOf(html, `heldout-deduction-${axis}`), ['fast', 'slow'], axis);
    assert.match(html, /<tr><th>fast<\/th>/);
    assert.equal((await runCommand([fast, join(scratch, 'no-such-run')])).code, 2);
  });

  test("seeds of one config: averaged weights against their mode's tasks, runs told apart, one chart as SVG", async () => {
    // Two seeds of "cfg" (same summary name) and one "other"; `heldout.ema.deduction` is the averaged weights' score.
    const line = (step: number) =>
      JSON.stringify({ step, 'deduction.newTasks': 5, 'heldout.ema.deduction': step / 10 });
    const seed = (dir: string, name: string) =>
      makeRunDir(scratch, dir, [JSON.stringify({ step: 0, 'heldout.ema.deduction': 0 }), line(1), line(2)], {
        name,
        runDir: dir,
        steps: 2,
        wallMs: 1000,
        heldout: {},
      });
    const dirs = [await seed('seed-1', 'cfg'), await seed('seed-2', 'cfg'), await seed('lone', 'other')];
    const runs = await Promise.all(dirs.map((dir) => loadRun(dir)));
    assert.deepEqual(heldoutAgainst(runs[0]!, 'ema.deduction', 'tasks'), [
      [0, 0],
      [5, 0.1],
      [10, 0.2],
    ]);
    assert.deepEqual(runLabels(runs), ['cfg (seed-1)', 'cfg (seed-2)', 'other']);

    const out = join(scratch, 'curve.svg');
    const written = await runCommand([...dirs, '--chart', 'heldout-ema.deduction-tasks', '--out', out]);
    assert.equal(written.code, 0, written.stderr);
    assert.equal(written.stdout, out);
    const svg = await readFile(out, 'utf8');
    assert.match(
      svg,
      /^<svg data-chart="heldout-ema\.deduction-tasks"[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/,
    );
    assert.match(svg, /<style>[^<]*\.frame \{ fill: none;/, 'the chart carries its own style');
    // A config's seeds share a colour and one legend entry; each line's own title still names its run.
    assert.deepEqual(legendOf(svg, 'heldout-ema.deduction-tasks'), ['cfg (2 runs)', 'other']);
    const strokes = [
      ...svg.matchAll(/<path d="[^"]*" fill="none" stroke="([^"]*)"[^>]*><title>([^<]*)</g),
    ].map((m) => [m[2], m[1]]);
    assert.deepEqual(
      strokes.map(([title]) => title),
      ['cfg (seed-1)', 'cfg (seed-2)', 'other'],
    );
    assert.equal(strokes[0]![1], strokes[1]![1]);
    assert.notEqual(strokes[0]![1], strokes[2]![1]);

    const missing = await runCommand([dirs[0]!, '--chart', 'heldout-induction-tasks']);
    assert.equal(missing.code, 2);
    assert.match(
      missing.stderr,
      /no chart heldout-induction-tasks in these runs; there are: heldout-ema\.deduction-step/,
    );
    assert.match((await runCommand([dirs[0]!, '--chart'])).stderr, /--chart needs a chart ID/);
  });

  test('on a real two-step run: exit 0 and prints the path of report.html', async () => {
    const dir = join(scratch, 'real');
    await promisify(execFile)(
      process.execPath,
      ['bin/azr.js', 'run', 'tests/fixtures/selfplay-tiny.yaml', '--out', dir, '--steps', '2'],
      { timeout: 120_000 },
    );
    const { code, stdout } = await runCommand([dir]);
    assert.equal(code, 0);
    assert.equal(stdout, join(dir, 'report.html'));
    const html = await readFile(stdout, 'utf8');
    assert.match(html, /<h1>azr report: selfplay-tiny<\/h1>/);
    assert.deepEqual(legendOf(html, 'solve-rate'), ['deduction', 'abduction', 'induction']);
    assert.match(html, /metrics for 3 steps: 0–2/, 'step 0 holds the held-out score before training');
    assert.match(html, /data-chart="heldout"/);
    assert.doesNotMatch(html, /Problems reading the run/);
  });
});
