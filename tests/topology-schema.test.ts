import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { builtinActors } from '../actors/index.ts';
import { builtinPluginReference } from '../plugins/index.ts';
import { topologySchemaJson } from '../src/topology/reference.ts';
import { withReference } from '../src/topology/write-reference.ts';

test('the shipped topology.schema.json is the one the loader checks against (run `npm run schema`)', async () => {
  assert.equal(await readFile('src/topology/topology.schema.json', 'utf8'), topologySchemaJson());
});

test("the README's config reference is generated from the schema (run `npm run schema`)", async () => {
  const readme = await readFile('README.md', 'utf8');
  assert.equal(readme, withReference(readme, builtinActors, builtinPluginReference()));
});
