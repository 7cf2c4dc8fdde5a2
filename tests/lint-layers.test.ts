// The layer rules of docs/architecture.md, as `npm run lint` checks them: the real dependency-cruiser with the
// project's config, over two tiny trees (tests/fixtures/layers/): one that breaks the rules, one that keeps them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const depcruise = `${root}node_modules/dependency-cruiser/bin/dependency-cruise.mjs`;

function cruise(tree: string): Promise<{ code: number; output: string }> {
  const cwd = fileURLToPath(new URL(`fixtures/layers/${tree}/`, import.meta.url));
  const args = [
    depcruise,
    '--config',
    `${root}.dependency-cruiser.cjs`,
    '--output-type',
    'err',
    'src',
    'examples',
  ];
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: stdout + stderr });
    });
  });
}

test('an upward import, an example importing an internal module and a cycle between layers fail the lint', async () => {
  const { code, output } = await cruise('bad');
  assert.notEqual(code, 0, output);
  assert.match(output, /error runtime: src\/runtime\/clock\.ts → src\/cli\/main\.ts/);
  assert.match(output, /error examples: examples\/peek\.ts → src\/model\/backend\.ts/);
  assert.match(
    output,
    /error no-cycle-between-layers: src\/index\.ts → \s*src\/run\/loop\.ts →\s*src\/index\.ts/,
  );
  assert.match(output, /3 dependency violations/);
});

test('imports that keep the layer rules pass', async () => {
  const { code, output } = await cruise('good');
  assert.equal(code, 0, output);
  assert.match(output, /no dependency violations found/);
});
