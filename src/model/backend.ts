// Backend selection. `auto` tries tfjs-node-gpu (CUDA), then tfjs-node (native CPU), then wasm, then the pure-JS cpu
// backend, and reports why each skipped candidate was skipped. The tfjs-node packages are optional dependencies
// that need network access to install, so the importer is injectable: tests simulate their absence or presence.
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { installNativeProducts, type NativeStatus } from './native/kernels.ts';
import { installWasmKernels } from './wasm-kernels.ts';
import { AzrError } from '../errors.ts';

export type BackendKind = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

export interface BackendChoice {
  name: BackendName;
  /** The tfjs backend id now active (`tf.getBackend()`). */
  tfBackend: string;
  skipped: Array<{ name: BackendName; reason: string }>;
  /** On wasm: whether products run through the native BLAS (src/model/native), or why not. */
  native?: NativeStatus;
}

export interface InitBackendOptions {
  /** Loads an optional package by name; defaults to dynamic `import()`. */
  importer?: (pkg: string) => Promise<unknown>;
  /** Receives one human-readable line describing the choice; defaults to console.error. Pass `null` to silence. */
  log?: ((line: string) => void) | null;
  /**
   * Native products on wasm (src/model/native): by default on when built and the BLAS is present, unless
   * AZR_NATIVE=0; `false` turns them off; `true` makes their absence an error.
   */
  native?: boolean;
}

const nativeCandidates: Array<{ name: BackendName; pkg: string }> = [
  { name: 'tensorflow-gpu', pkg: '@tensorflow/tfjs-node-gpu' },
  { name: 'tensorflow', pkg: '@tensorflow/tfjs-node' },
];

let wasmPathsSet = false;

function wasmDistDir(): string {
  const require = createRequire(import.meta.url);
  return (
    path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep
  );
}

async function activate(tfBackend: string): Promise<void> {
  if (tfBackend === 'wasm' && !wasmPathsSet) {
    setWasmPaths(wasmDistDir());
    installWasmKernels();
    wasmPathsSet = true;
  }
  const ok = await tf.setBackend(tfBackend);
  if (!ok || tf.getBackend() !== tfBackend)
    throw new AzrError('BACKEND_UNAVAILABLE', `tf.setBackend('${tfBackend}') failed`);
  await tf.ready();
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = message.split('\n')[0];
  if (/Cannot find (package|module)|ERR_MODULE_NOT_FOUND/.test(message)) return 'not installed';
  return `failed to load: ${firstLine}`;
}

async function tryNative(
  candidate: { name: BackendName; pkg: string },
  importer: (pkg: string) => Promise<unknown>,
): Promise<string | null> {
  try {
    await importer(candidate.pkg);
    if (!tf.findBackend('tensorflow'))
      return `${candidate.pkg} loaded but registered no 'tensorflow' backend`;
    await activate('tensorflow');
    return null;
  } catch (error) {
    return describe(error);
  }
}

/** Selects and activates a backend; throws when an explicitly requested backend cannot be used. */
export async function initBackend(
  kind: BackendKind = 'auto',
  options: InitBackendOptions = {},
): Promise<BackendChoice> {
  const importer = options.importer ?? ((pkg: string) => import(pkg));
  const log = options.log === undefined ? (line: string) => console.error(line) : options.log;
  const skipped: BackendChoice['skipped'] = [];
  const done = (name: BackendName, native?: NativeStatus): BackendChoice => {
    const choice: BackendChoice = { name, tfBackend: tf.getBackend(), skipped, ...(native && { native }) };
    log?.(formatChoice(choice));
    return choice;
  };

  if (kind === 'auto' || kind === 'tensorflow') {
    for (const candidate of nativeCandidates) {
      const reason = await tryNative(candidate, importer);
      if (reason === null) return done(candidate.name);
      skipped.push({ name: candidate.name, reason: `${candidate.pkg}: ${reason}` });
    }
    if (kind === 'tensorflow') {
      throw new AzrError(
        'BACKEND_UNAVAILABLE',
        `backend 'tensorflow' unavailable: ${skipped.map((s) => s.reason).join('; ')}`,
      );
    }
  }
  if (kind === 'auto' || kind === 'wasm') {
    let active = false;
    try {
      await activate('wasm');
      active = true;
    } catch (error) {
      if (kind === 'wasm')
        throw new AzrError('BACKEND_UNAVAILABLE', `backend 'wasm' unavailable: ${describe(error)}`);
      skipped.push({ name: 'wasm', reason: describe(error) });
    }
    if (active) {
      const native = installNativeProducts(nativeOffBy(options.native));
      if (options.native === true && !native.active) {
        throw new AzrError('BACKEND_UNAVAILABLE', `native products unavailable: ${native.reason}`);
      }
      return done('wasm', native);
    }
  }
  await activate('cpu');
  return done('cpu');
}

/** Why the user turned native products off, if they did: the option wins over the environment. */
function nativeOffBy(option: boolean | undefined): string | undefined {
  if (option === false) return 'an option (native: false)';
  if (option === undefined && process.env.AZR_NATIVE === '0') return 'AZR_NATIVE=0';
  return undefined;
}

export function formatChoice(choice: BackendChoice): string {
  const skipped = choice.skipped.map((s) => `${s.name} skipped: ${s.reason}`);
  const native = !choice.native
    ? ''
    : choice.native.active
      ? ` + native products (${choice.native.blas})`
      : ` (native products off: ${choice.native.reason})`;
  return [`[azr/model] backend: ${choice.name}${native}`, ...skipped].join('; ');
}
