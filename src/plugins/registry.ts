// Loads the plugins a config names — built-in by name (src/plugins/builtins.ts), or a module by path or package
// name — and checks each one's options against the schema it declares.
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import {
  type ExecutorFactory,
  PLUGIN_API_VERSION,
  type Plugin,
  type RewardContext,
  type RewardShaper,
  type Rollout,
  type TaskMode,
} from './api.ts';
import { AzrError } from '../errors.ts';
import { builtinPluginNames, builtinPluginUrl } from './builtins.ts';
import { type Faults, guard, recordFault } from './faults.ts';

export interface PluginUse {
  use: string;
  options?: Record<string, unknown>;
}

/** A plugin that cannot be found or loaded, or options it rejects. */
export class PluginError extends AzrError {
  constructor(
    readonly plugin: string,
    /** JSON pointer into the plugin's options ('' for the plugin itself). */
    readonly pointer: string,
    readonly problem: string,
  ) {
    super('PLUGIN_INVALID', `plugin "${plugin}": ${pointer ? `options${pointer} ` : ''}${problem}`);
  }
}

export interface LoadedPlugins {
  plugins: { name: string; options: Record<string, unknown> }[];
  modes: Map<string, TaskMode>;
  shapers: RewardShaper[];
  executors: Map<string, ExecutorFactory>;
}

const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true });

function describe(error: ErrorObject): [string, string] {
  if (error.keyword === 'additionalProperties') {
    const key = (error.params as { additionalProperty: string }).additionalProperty;
    return [`${error.instancePath}/${key}`, 'is not an option of this plugin'];
  }
  if (error.keyword === 'required') {
    const key = (error.params as { missingProperty: string }).missingProperty;
    return [`${error.instancePath}/${key}`, 'is required'];
  }
  if (error.keyword === 'enum') {
    const allowed = (error.params as { allowedValues: unknown[] }).allowedValues.map((v) =>
      JSON.stringify(v),
    );
    return [error.instancePath, `must be one of: ${allowed.join(', ')}`];
  }
  return [error.instancePath, error.message ?? 'is invalid'];
}

function isPlugin(value: unknown): value is Plugin {
  const p = value as Plugin | null;
  return (
    typeof p === 'object' && p !== null && typeof p.name === 'string' && typeof p.apiVersion === 'number'
  );
}

function specifierOf(use: string, baseDir: string): string {
  const builtin = builtinPluginUrl(use);
  if (builtin) return builtin;
  return use.startsWith('.') || isAbsolute(use) ? pathToFileURL(resolve(baseDir, use)).href : use;
}

/** Every plugin module imported so far, by specifier: what `loadPluginsSync` can find without waiting. */
const imported = new Map<string, Plugin>();
/** Why a module could not be imported: a second import of a module that failed to compile fails differently. */
const failed = new Map<string, string>();

/**
 * The useful part of an import failure. A syntax error in a TypeScript plugin comes from esbuild as
 * "Transform failed with 1 error:" followed by `file:line:column: ERROR: …` lines: keep those.
 */
export function describeImportError(error: unknown): string {
  const lines = String((error as Error)?.message ?? error).split('\n');
  const located = lines
    .filter((line) => /:\d+:\d+: ERROR: /.test(line))
    .map((line) => line.replace(': ERROR:', ':'));
  return located.length > 0 ? `syntax error at ${located.join('; ')}` : lines[0]!;
}

async function importPlugin(use: string, baseDir: string): Promise<Plugin> {
  const specifier = specifierOf(use, baseDir);
  const known = imported.get(specifier);
  if (known) return known;
  // A module that failed once fails again the same way (Node caches the failed import): say the first reason.
  const failedBefore = failed.get(specifier);
  if (failedBefore) throw new PluginError(use, '', `cannot be loaded: ${failedBefore}`);
  let exports: Record<string, unknown>;
  try {
    exports = await import(specifier);
  } catch (error) {
    const why = describeImportError(error);
    failed.set(specifier, why);
    throw new PluginError(use, '', `cannot be loaded: ${why}`);
  }
  const plugin = exports.default ?? Object.values(exports).find(isPlugin);
  if (!isPlugin(plugin))
    throw new PluginError(use, '', 'exports no plugin (export default definePlugin({...}))');
  imported.set(specifier, plugin);
  return plugin;
}

/** A plugin by name or path: built in, a path, or an installed package; an unknown bare name lists the built-ins. */
async function importNamed(
  use: string,
  baseDir: string,
  builtins: Record<string, Plugin<any>>,
): Promise<Plugin> {
  try {
    return await importPlugin(use, baseDir);
  } catch (error) {
    const bareName = !use.startsWith('.') && !isAbsolute(use);
    if (bareName && error instanceof PluginError && /Cannot find (package|module)/.test(error.message)) {
      const known = [...new Set([...builtinPluginNames, ...Object.keys(builtins)])];
      throw new PluginError(
        use,
        '',
        `is not a built-in plugin (${known.join(', ')}) nor an installed package; ` +
          'a plugin of your own is named by its path, e.g. ./my-plugin.ts (relative to the topology file)',
      );
    }
    throw error;
  }
}

/** Imports every built-in plugin, so that `loadPluginsSync` finds each of them, whatever a config names. */
export async function importBuiltinPlugins(): Promise<void> {
  for (const name of builtinPluginNames) await importPlugin(name, process.cwd());
}

interface LoadSettings {
  /** Where relative paths start. Default: the working directory. */
  baseDir?: string;
  /** Plugins known by name, ahead of the built-ins (which are found without it). */
  builtins?: Record<string, Plugin<any>>;
}

export async function loadPlugins(
  uses: readonly PluginUse[],
  { baseDir = process.cwd(), builtins = {} }: LoadSettings = {},
): Promise<LoadedPlugins> {
  const plugins: Plugin[] = [];
  for (const { use } of uses) plugins.push(builtins[use] ?? (await importNamed(use, baseDir, builtins)));
  return register(uses, plugins);
}

/**
 * `loadPlugins` for a step that cannot wait (the topology builder): plugins of `builtins`, and modules that an
 * earlier `loadPlugins` imported (loading a topology imports every plugin it uses, the built-ins included).
 */
export function loadPluginsSync(
  uses: readonly PluginUse[],
  { baseDir = process.cwd(), builtins = {} }: LoadSettings = {},
): LoadedPlugins {
  const plugins = uses.map(({ use }) => {
    const plugin = builtins[use] ?? imported.get(specifierOf(use, baseDir));
    if (!plugin) throw new PluginError(use, '', 'is not loaded yet (load the topology, then build it)');
    return plugin;
  });
  return register(uses, plugins);
}

/** Checks each plugin's API version and options, and collects its parts. */
function register(uses: readonly PluginUse[], plugins: readonly Plugin[]): LoadedPlugins {
  const loaded: LoadedPlugins = { plugins: [], modes: new Map(), shapers: [], executors: new Map() };
  plugins.forEach((plugin, i) => {
    if (plugin.apiVersion !== PLUGIN_API_VERSION) {
      throw new PluginError(
        plugin.name,
        '',
        `targets plugin API ${plugin.apiVersion}; this azr has API ${PLUGIN_API_VERSION}`,
      );
    }
    const options = structuredClone(uses[i]!.options ?? {});
    if (plugin.options) {
      const validate = ajv.compile({
        ...plugin.options,
        additionalProperties: plugin.options.additionalProperties ?? false,
      });
      if (!validate(options)) {
        const [pointer, problem] = describe(validate.errors![0]!);
        throw new PluginError(plugin.name, pointer, problem);
      }
    }
    for (const mode of plugin.taskModes?.(options) ?? []) {
      if (loaded.modes.has(mode.name))
        throw new PluginError(plugin.name, '', `task mode "${mode.name}" is already registered`);
      loaded.modes.set(mode.name, mode);
    }
    loaded.shapers.push(...(plugin.rewardShapers?.(options) ?? []));
    for (const executor of plugin.executors?.(options) ?? []) {
      if (loaded.executors.has(executor.name))
        throw new PluginError(plugin.name, '', `executor "${executor.name}" is already registered`);
      loaded.executors.set(executor.name, executor);
    }
    loaded.plugins.push({ name: plugin.name, options });
  });
  return loaded;
}

/**
 * The scalar reward of a rollout: the sum of every shaper's term (docs/azr.md §4). A shaper that throws or returns a
 * non-finite number adds nothing and is counted in `faults`.
 */
export function totalReward(
  shapers: readonly RewardShaper[],
  rollout: Rollout,
  context: RewardContext,
  faults: Faults = {},
): { reward: number; terms: Record<string, number> } {
  const terms: Record<string, number> = {};
  let reward = 0;
  for (const shaper of shapers) {
    const part = `shaper:${shaper.name}`;
    const term = guard(
      faults,
      part,
      () => shaper.reward(rollout, context),
      () => 0,
    );
    if (!Number.isFinite(term)) {
      recordFault(faults, part, new Error(`returned ${term}, not a finite number`));
      continue;
    }
    terms[shaper.name] = (terms[shaper.name] ?? 0) + term;
    reward += term;
  }
  return { reward, terms };
}
