// `azr … | head`: when the reader of its output goes away, a command ends quietly instead of crashing with EPIPE.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/azr.js', import.meta.url));

test('a closed stdout ends `azr topology check` with exit 0 and no stack trace', async () => {
  const child = spawn(process.execPath, [bin, 'topology', 'check', 'examples/tiny-zero.yaml']);
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const [code] = await once(child, 'exit');
  assert.equal(stderr, '');
  assert.equal(code, 0);
});
