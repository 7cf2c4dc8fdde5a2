import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/model/backend.ts';

const notInstalled = async (pkg: string): Promise<never> => {
  const error = new Error(`Cannot find package '${pkg}' imported from /work/main/src/model/backend.ts`);
  throw Object.assign(error, { code: 'ERR_MODULE_NOT_FOUND' });
};

test('auto falls back to wasm when tfjs-node is absent or cannot load (the real importer, as installed here)', async () => {
  const lines: string[] = [];
  const choice = await initBackend('auto', { log: (line) => lines.push(line) });
  assert.equal(choice.name, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.deepEqual(
    choice.skipped.map((s) => s.name),
    ['tensorflow-gpu', 'tensorflow'],
  );
  assert.match(choice.skipped[0].reason, /@tensorflow\/tfjs-node-gpu: (not installed|failed to load)/);
  assert.equal(lines.length, 1);
  assert.match(
    lines[0],
    /backend: wasm( \+ native products \(.*\)| \(native products off: .*\))?; tensorflow-gpu skipped: .*; tensorflow skipped: /,
  );
});

test('auto reports why a present but broken tfjs-node-gpu was skipped', async () => {
  const choice = await initBackend('auto', {
    log: null,
    importer: async (pkg) => {
      if (pkg.endsWith('-gpu'))
        throw new Error('libcudart.so.11.0: cannot open shared object file: No such file');
      return notInstalled(pkg);
    },
  });
  assert.equal(choice.name, 'wasm');
  assert.match(choice.skipped[0].reason, /failed to load: libcudart\.so\.11\.0/);
  assert.match(choice.skipped[1].reason, /not installed/);
});

test('auto picks tfjs-node when it loads and registers the tensorflow backend', async () => {
  try {
    const choice = await initBackend('auto', {
      log: null,
      importer: async (pkg) => {
        if (pkg === '@tensorflow/tfjs-node') tf.registerBackend('tensorflow', () => new MathBackendCPU());
        else return notInstalled(pkg);
      },
    });
    assert.equal(choice.name, 'tensorflow');
    assert.equal(tf.getBackend(), 'tensorflow');
    assert.equal(choice.skipped.length, 1);
  } finally {
    tf.removeBackend('tensorflow');
    await initBackend('wasm', { log: null });
  }
});

test('an explicit backend that is unavailable is an error; cpu and wasm can be chosen', async () => {
  await assert.rejects(
    initBackend('tensorflow', { log: null, importer: notInstalled }),
    /backend 'tensorflow' unavailable/,
  );
  assert.equal((await initBackend('cpu', { log: null })).name, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  assert.equal((await initBackend('wasm', { log: null })).name, 'wasm');
});
