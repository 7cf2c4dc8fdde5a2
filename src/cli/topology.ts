// `azr topology check CONFIG`: every problem with its JSON pointer (exit 2), or the actor tree (exit 0).
import {
  buildTopology,
  ConfigError,
  formatIssue,
  formatTree,
  OverrideError,
  parseOverride,
} from '../topology/index.ts';
import { parseCommand } from './args.ts';
import { loadConfig } from '../run/load.ts';

const usage = 'usage: azr topology check CONFIG [--set PATH=VALUE …]';
const help = `${usage}

Checks a topology as \`azr run\` would load it (schema, actor kinds and options, plugins and their options, the
files it names) and prints its actor tree: who supervises whom, where each actor runs. Exit 0 when it is fine;
exit 2 with every problem, each with file:line:column and its JSON pointer.`;

export async function run(args: string[]): Promise<number> {
  const options = { set: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } } as const;
  const parsed = parseCommand('topology', usage, { args, allowPositionals: true, options }, help);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const [sub, file, ...rest] = positionals;
  if (sub !== 'check' || !file || rest.length > 0) {
    console.error(usage);
    return 2;
  }
  try {
    const loaded = await loadConfig(file, (values.set ?? []).map(parseOverride));
    const system = buildTopology(loaded, { start: false });
    console.log(`${file}: ok — system "${loaded.topology.name}", seed ${loaded.topology.seed}`);
    console.log(formatTree(system.tree()));
    return 0;
  } catch (error) {
    if (error instanceof OverrideError) {
      console.error(`azr topology: ${error.message}`);
      return 2;
    }
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${file}: ${error.issues.length} problem(s)`);
    for (const issue of error.issues) console.error(`  ${formatIssue(file, issue)}`);
    return 2;
  }
}
