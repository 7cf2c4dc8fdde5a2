// What a user who copies a config, mistypes a plugin or a YAML indent, or asks for help sees: one precise answer,
// exit 2 for bad input, before any actor starts.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { azr } from './helpers/azr.ts';

const dir = mkdtempSync(join(tmpdir(), 'azr-config-errors-'));
const write = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const minimal = (plugins: string) =>
  `name: t\nplugins:\n${plugins}\nactors:\n  - { name: metrics, kind: metrics }\n`;

test('a copied config whose held-out file is not beside it fails in topology check and in run, exit 2', async () => {
  const copy = join(dir, 'tiny-zero.yaml');
  copyFileSync('examples/tiny-zero.yaml', copy);
  for (const args of [
    ['topology', 'check', copy],
    ['run', copy, '--steps', '1', '--out', join(dir, 'run')],
  ]) {
    const result = await azr(...args);
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      /tiny-zero\.yaml:\d+:\d+: \/actors\/0\/options\/heldout\/file names .*heldout\/tiny-python\.jsonl, which does not exist \(paths are relative to the topology file's folder\)/,
    );
  }
});

test('a plugin with a syntax error is reported at its file:line:column', async () => {
  write(
    'broken.ts',
    "export default {\n  name: 'x',\n  apiVersion: 1,\n  rewardShapers: () => [{ name: 'a', reward: () => }],\n};\n",
  );
  const config = write('broken.yaml', minimal('  - { use: deduction }\n  - { use: ./broken.ts }'));
  const result = await azr('topology', 'check', config);
  assert.equal(result.code, 2);
  assert.match(
    result.stderr,
    /\/plugins\/1\/use plugin "\.\/broken\.ts": cannot be loaded: syntax error at .*broken\.ts:4:51: Unexpected "}"/,
  );
  assert.doesNotMatch(result.stderr, /Transform failed/);
});

test('an unknown plugin name lists the built-in plugins, and no internal path', async () => {
  const config = write('unknown.yaml', minimal('  - { use: deductoin }'));
  const result = await azr('topology', 'check', config);
  assert.equal(result.code, 2);
  assert.match(
    result.stderr,
    /plugin "deductoin": is not a built-in plugin \(deduction, abduction, induction, .*\)/,
  );
  assert.doesNotMatch(result.stderr, /src\/plugins|registry\.ts/);
});

test('one bad YAML indent gives one message, at its line', async () => {
  const config = write(
    'indent.yaml',
    'name: t\nplugins:\n  - use: deduction\n     options: { format: bare }\nactors:\n  - name: metrics\n    kind: metrics\n   host: inline\n',
  );
  const result = await azr('topology', 'check', config);
  assert.equal(result.code, 2);
  const problems = result.stderr.split('\n').filter((line) => line.includes('is not valid YAML'));
  assert.equal(problems.length, 1, result.stderr);
  assert.match(problems[0]!, /indent\.yaml:3:\d+: .*more error\(s\) after it/);
});

test('--set is checked like the file: a wrong value names its pointer and the --set; a wrong path lists entries', async () => {
  const fixture = 'tests/fixtures/selfplay-tiny.yaml';
  const badValue = await azr('topology', 'check', fixture, '--set', 'actors.learner.options.lr=fast');
  assert.equal(badValue.code, 2);
  assert.match(
    badValue.stderr,
    /\/actors\/4\/options\/lr must be number .*\(set by --set actors\.learner\.options\.lr=fast\)/,
  );
  const badPath = await azr('topology', 'check', fixture, '--set', 'actors.leaner.options.lr=1');
  assert.equal(badPath.code, 2);
  assert.match(
    badPath.stderr,
    /\/actors has no entry "leaner" \(entries: coordinator, proposer, solver, validator, learner/,
  );
  const noValue = await azr('run', fixture, '--set', 'actors.learner.options.lr');
  assert.equal(noValue.code, 2);
  assert.match(noValue.stderr, /expected PATH=VALUE/);
  const ok = await azr(
    'topology',
    'check',
    fixture,
    '--set',
    'actors.validator.host=process',
    '--set',
    'seed=9',
  );
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /seed 9/);
  assert.match(ok.stdout, /validator \[validator\] process/);
});

test('every command answers --help with its usage, exit 0', async () => {
  const commands = [
    'run',
    'demo',
    'eval',
    'node',
    'nats-config',
    'report',
    'topology',
    'validate',
    'verify',
    'export',
    'setup',
  ];
  for (const command of commands) {
    const result = await azr(command, '--help');
    assert.equal(result.code, 0, `${command}: ${result.stderr}`);
    assert.match(result.stdout, new RegExp(`^usage: azr ${command}`), command);
  }
});

test('azr eval without --checkpoint says it scores untrained weights', async () => {
  const result = await azr(
    'eval',
    'tests/fixtures/selfplay-tiny.yaml',
    '--bench',
    'examples/cruxeval-mini.jsonl',
  );
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stderr,
    /no --checkpoint RUN_DIR given: scoring the initial weights of the config \(untrained/,
  );
});
