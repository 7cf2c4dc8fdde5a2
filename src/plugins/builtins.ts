// The built-in plugins, by the name a config uses for them. Each is the module plugins/<folder>/index.ts of this
// package, imported by its path when a config first names it, as a plugin of the user's own is (docs/plugins.md):
// so src/ and actors/ never import plugins/, and an actor in a worker thread, a child process or on a remote node
// finds the built-ins the same way.

const folders: Record<string, string> = {
  deduction: 'deduction',
  abduction: 'abduction',
  induction: 'induction',
  javascript: 'javascript',
  learnability: 'learnability',
  'tiny-python': 'tiny-python',
  correctness: 'correctness',
  format: 'format-reward',
  'output-balance': 'output-balance',
};

/** The names of the built-in plugins. */
export const builtinPluginNames: readonly string[] = Object.keys(folders);

/** What a run uses when its config names no plugins: AZR's three task modes and its three reward terms. */
export const defaultPluginNames: readonly string[] = [
  'deduction',
  'abduction',
  'induction',
  'learnability',
  'correctness',
  'format',
];

/** The module URL of the built-in plugin called `name`, or undefined when no built-in has that name. */
export function builtinPluginUrl(name: string): string | undefined {
  const folder = Object.hasOwn(folders, name) ? folders[name] : undefined;
  return folder && new URL(`../../plugins/${folder}/index.ts`, import.meta.url).href;
}
