// The set-up of the model tests: the tfjs backend before a file's tests, a temporary folder for what they write,
// and both cleaned up after (variables disposed, folder removed).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/model/backend.ts';

/** Registers the hooks for the calling test file; returns its temporary folder (named `prefix…`). */
export function modelTestFolder(backend: 'cpu' | 'wasm', prefix: string): string {
  const root = mkdtempSync(path.join(tmpdir(), prefix));
  before(async () => {
    await initBackend(backend, { log: null });
  });
  after(() => {
    rmSync(root, { recursive: true, force: true });
    tf.disposeVariables();
  });
  return root;
}

/** Largest |actual − expected| over the largest |expected|: the error of a whole result, relative to its scale. */
export function maxRelativeError(actual: Float32Array | number[], expected: Float32Array | number[]): number {
  let error = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    error = Math.max(error, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return error / Math.max(scale, 1e-30);
}
