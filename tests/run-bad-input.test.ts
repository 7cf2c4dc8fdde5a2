import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { azr } from './helpers/azr.ts';

const config = 'tests/fixtures/selfplay-tiny.yaml';
const scratch = () => mkdtempSync(join(tmpdir(), 'azr-input-'));

test('--out naming a file, or a folder under a file, is exit 2 before any work', async () => {
  const dir = scratch();
  const file = join(dir, 'file');
  writeFileSync(file, 'x');
  const onFile = await azr('run', config, '--steps', '1', '--out', file);
  assert.equal(onFile.code, 2, onFile.stderr);
  assert.match(
    onFile.stderr,
    new RegExp(`cannot write ${file}: a file is there, not a folder; choose another --out`),
  );
  const under = await azr('run', config, '--steps', '1', '--out', join(file, 'run'));
  assert.equal(under.code, 2, under.stderr);
  assert.match(under.stderr, /a part of that path is a file, not a folder; choose another --out/);
  assert.doesNotMatch(onFile.stderr + under.stderr, /run directory:|seeded/);
});

test('--out on a read-only file system is exit 2 saying so', async () => {
  const mount = scratch();
  // A read-only tmpfs in a private mount namespace (the tests run as root, which file modes do not stop).
  const script = `mount -t tmpfs -o ro,size=16k tmpfs ${mount} && ${process.execPath} bin/azr.js run ${config} --steps 1 --out ${mount}/run`;
  const result = await new Promise<{ code: number; stderr: string }>((resolve) =>
    execFile(
      'unshare',
      ['--mount', '--propagation', 'private', 'sh', '-c', script],
      (error, _stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stderr }),
    ),
  );
  assert.equal(result.code, 2, result.stderr);
  assert.match(
    result.stderr,
    new RegExp(`cannot write ${mount}/run: the file system is read-only; choose another --out`),
  );
});

test('a held-out file with a bad line is exit 2 with its file:line, in topology check and in run', async () => {
  const dir = scratch();
  const topology = join(dir, 'topology.yaml');
  writeFileSync(
    topology,
    readFileSync(config, 'utf8').replace('../../examples/cruxeval-mini.jsonl', 'heldout.jsonl'),
  );
  const heldout = join(dir, 'heldout.jsonl');
  copyFileSync('examples/cruxeval-mini.jsonl', heldout);
  const good = await azr('topology', 'check', topology);
  assert.equal(good.code, 0, good.stderr);
  writeFileSync(heldout, `${readFileSync(heldout, 'utf8')}{"id": "cut", "code": "def f(x):\n`);
  const lines = readFileSync(heldout, 'utf8').trimEnd().split('\n').length;
  const where = new RegExp(`/actors/0/options/heldout/file ${heldout}:${lines}: not JSON`);
  const checked = await azr('topology', 'check', topology);
  assert.equal(checked.code, 2, checked.stderr);
  assert.match(checked.stderr, where);
  const runDir = join(dir, 'run');
  const ran = await azr('run', topology, '--steps', '1', '--out', runDir);
  assert.equal(ran.code, 2, ran.stderr);
  assert.match(ran.stderr, where);
  assert.doesNotMatch(ran.stderr, /restart|crash/i);
  assert.equal(existsSync(runDir), false, 'refused before the run directory is made');
});

test('azr validate on empty input is exit 2 saying there are no lines', async () => {
  const empty = join(scratch(), 'empty.jsonl');
  writeFileSync(empty, '');
  const result = await azr('validate', empty);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /empty\.jsonl: no input lines/);
});
