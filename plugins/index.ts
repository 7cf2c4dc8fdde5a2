// The built-in plugins, by the name a config uses for them.
import type { Plugin } from '../src/plugins/index.ts';
import abduction from './abduction/index.ts';
import correctness from './correctness/index.ts';
import deduction from './deduction/index.ts';
import format from './format-reward/index.ts';
import induction from './induction/index.ts';
import javascript from './javascript/index.ts';
import learnability from './learnability/index.ts';
import tinyPython from './tiny-python/index.ts';

export const builtinPlugins: Record<string, Plugin<any>> = {
  deduction,
  abduction,
  induction,
  javascript,
  learnability,
  'tiny-python': tinyPython,
  correctness,
  format,
};

/** Name, description and options schema of each built-in plugin, for the README's config reference. */
export function builtinPluginReference(): { name: string; description?: string; options?: unknown }[] {
  return Object.entries(builtinPlugins).map(([name, p]) => ({
    name,
    description: p.description,
    options: p.options,
  }));
}

/** What a run uses when its config names no plugins: AZR's three task modes and its three reward terms. */
export const defaultPluginNames = [
  'deduction',
  'abduction',
  'induction',
  'learnability',
  'correctness',
  'format',
];
