#!/usr/bin/env node
// Entry of the `azr` command: registers the TypeScript loader (for ES modules, and for CommonJS so a plugin in a
// folder without `"type": "module"` loads too), then runs the CLI.
import { register as registerCommonJs } from 'tsx/cjs/api';
import { register } from 'tsx/esm/api';

// `azr … | head`: a reader that stops early ends the command, it is not a crash.
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});
register();
registerCommonJs();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
