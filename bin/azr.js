#!/usr/bin/env node
// Entry of the `azr` command: registers the TypeScript loader (for ES modules, and for CommonJS so a plugin in a
// folder without `"type": "module"` loads too), then runs the CLI.
import { register as registerCommonJs } from 'tsx/cjs/api';
import { register } from 'tsx/esm/api';

register();
registerCommonJs();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
