// The public entry point: a curated set of values, each with a doc comment, and its examples work as written.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import ts from 'typescript';
import * as azr from '../src/index.ts';

test("'azr' exports at most 40 values, each with a doc comment", () => {
  const program = ts.createProgram(['src/index.ts'], {
    allowImportingTsExtensions: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
  });
  const checker = program.getTypeChecker();
  const entry = checker.getSymbolAtLocation(program.getSourceFile('src/index.ts')!)!;
  const undocumented = checker
    .getExportsOfModule(entry)
    .filter((symbol) => symbol.name in azr)
    .filter((symbol) => {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      return ts.displayPartsToString(target.getDocumentationComment(checker)).trim() === '';
    })
    .map((symbol) => symbol.name);
  assert.deepEqual(undocumented, []);
  assert.ok(
    Object.keys(azr).length <= 40,
    `${Object.keys(azr).length} values: ${Object.keys(azr).join(', ')}`,
  );
});

test('the defineActor and createSystem examples run as documented', async () => {
  const { createSystem, defineActor, defineProtocol, Type } = azr;
  const counter = defineActor({
    kind: 'counter',
    protocol: defineProtocol({ add: { request: Type.Object({ n: Type.Number() }), reply: Type.Number() } }),
    init: () => ({ total: 0 }),
    handlers: {
      add: (state, { n }, ctx) => {
        ctx.reply(state.total + n);
        return { total: state.total + n };
      },
    },
  });
  const system = createSystem({ name: 'demo' });
  try {
    const ref = system.spawn(counter, { name: 'counter' });
    assert.equal(await ref.ask({ type: 'add', n: 2 }), 2);
    assert.equal(await ref.ask({ type: 'add', n: 3 }), 5);
    await assert.rejects(ref.ask({ type: 'add', n: 'x' } as never), azr.MessageRejectedError);
  } finally {
    await system.stop();
  }
});

test('definePlugin fills in the API version; errors are told apart by code', () => {
  const plugin = azr.definePlugin({
    name: 'brevity',
    options: azr.Type.Object({ weight: azr.Type.Number({ default: 0.1 }) }),
    rewardShapers: (options) => [
      {
        name: 'brevity',
        reward: (r) => (r.role === 'solver' ? (-options.weight * r.completion.length) / 100 : 0),
      },
    ],
  });
  assert.equal(plugin.apiVersion, azr.PLUGIN_API_VERSION);
  const [shaper] = plugin.rewardShapers!({ weight: 1 });
  assert.equal(
    shaper!.reward({ role: 'solver', completion: 'x'.repeat(50) } as never, { step: 1, buffer: [] }),
    -0.5,
  );
  assert.ok(azr.isAzrError(new azr.ConfigError('x.yaml', []), 'CONFIG_INVALID'));
  assert.equal(azr.exitCodeOf(new azr.AskTimeoutError('a', 'b', 1)), 1);
});
