// The built-in plugins, by the name a config uses for them, for what needs them all at once (the README's config
// reference). A run finds each by its path when a config names it (src/plugins/builtins.ts, the same names).
import type { Plugin } from '../src/plugins/index.ts';
import abduction from './abduction/index.ts';
import correctness from './correctness/index.ts';
import deduction from './deduction/index.ts';
import format from './format-reward/index.ts';
import induction from './induction/index.ts';
import javascript from './javascript/index.ts';
import learnability from './learnability/index.ts';
import outputBalance from './output-balance/index.ts';
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
  'output-balance': outputBalance,
};

/** Name, description and options schema of each built-in plugin, for the README's config reference. */
export function builtinPluginReference(): { name: string; description?: string; options?: unknown }[] {
  return Object.entries(builtinPlugins).map(([name, p]) => ({
    name,
    description: p.description,
    options: p.options,
  }));
}

export { defaultPluginNames } from '../src/plugins/builtins.ts';
