// `azr topology check CONFIG`: every problem with its JSON pointer (exit 2), or the actor tree (exit 0).
import { buildTopology, ConfigError, formatIssue, formatTree } from '../topology/index.ts';
import { loadConfig } from './load.ts';

export async function run(args: string[]): Promise<number> {
  const [sub, file, ...rest] = args;
  if (sub !== 'check' || !file || rest.length > 0) {
    console.error('usage: azr topology check CONFIG');
    return 2;
  }
  try {
    const loaded = await loadConfig(file);
    const system = buildTopology(loaded, { start: false });
    console.log(`${file}: ok — system "${loaded.topology.name}", seed ${loaded.topology.seed}`);
    console.log(formatTree(system.tree()));
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${file}: ${error.issues.length} problem(s)`);
    for (const issue of error.issues) console.error(`  ${formatIssue(file, issue)}`);
    return 2;
  }
}
