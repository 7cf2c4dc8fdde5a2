// `npm run schema`: writes src/topology/topology.schema.json and the config reference in README.md (the topology's
// keys, the built-in actor kinds' and plugins' options), so the documentation cannot drift from what is checked.
import { readFile, writeFile } from 'node:fs/promises';
import { builtinActors } from '../../actors/index.ts';
import { builtinPluginReference } from '../../plugins/index.ts';
import { topologySchemaJson } from '../topology/reference.ts';
import { withReference } from '../topology/write-reference.ts';

const root = new URL('../../', import.meta.url);
await writeFile(new URL('src/topology/topology.schema.json', root), topologySchemaJson());
const readmeUrl = new URL('README.md', root);
await writeFile(
  readmeUrl,
  withReference(await readFile(readmeUrl, 'utf8'), builtinActors, builtinPluginReference()),
);
console.log('wrote src/topology/topology.schema.json and the config reference in README.md');
