// The plugin list that actors needing task modes or reward shapers take as an option (a topology's top-level
// `plugins` is handed to them by the builder), and its loading; the loader finds the built-in plugins by name.
import { Type } from '@sinclair/typebox';
import { defaultPluginNames } from '../src/plugins/builtins.ts';
import { type LoadedPlugins, loadPlugins, loadPluginsSync, type PluginUse } from '../src/plugins/index.ts';

export const PluginUses = Type.Array(
  Type.Object(
    {
      use: Type.String({ minLength: 1, description: 'A built-in plugin name, a path, or a package name.' }),
      options: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    },
    { additionalProperties: false },
  ),
  {
    default: defaultPluginNames.map((use) => ({ use })),
    description: 'Plugins: task modes and reward shapers.',
  },
);

export const PluginOptions = {
  plugins: PluginUses,
  configDir: Type.Optional(
    Type.String({ description: 'Directory of the topology file: relative paths start there.' }),
  ),
};

interface ActorPluginOptions {
  plugins: PluginUse[];
  configDir?: string;
}

export function loadActorPlugins(options: ActorPluginOptions): Promise<LoadedPlugins> {
  return loadPlugins(options.plugins, { baseDir: options.configDir });
}

/** The same without waiting, once the topology is loaded (which imports every plugin module it names). */
export function loadActorPluginsSync(options: ActorPluginOptions): LoadedPlugins {
  return loadPluginsSync(options.plugins, { baseDir: options.configDir });
}
