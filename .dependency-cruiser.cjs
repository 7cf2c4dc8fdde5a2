// The layer rules of docs/architecture.md, checked by `npm run lint` (dependency-cruiser).
// Each rule names a layer (a folder, or one file) and what of ours it may import; the table in
// docs/architecture.md says the same in prose. Paths are relative to the folder depcruise runs in.
const path = require('node:path');

/** The base modules: the wire types and the error family (a file or a folder each). They import nothing of ours but themselves. */
const base = '^src/(wire|errors)(\\.ts$|/)';
/** Every file of ours, whatever its layer. */
const ours = '^(src|actors|plugins|examples|tests|bench|bin)/';

/** A rule: files under `from` may import, of ours, only what matches one of `allowed`. */
function layer(name, from, allowed, comment) {
  return {
    name,
    comment,
    severity: 'error',
    from: { path: from },
    to: { path: ours, pathNot: [...allowed, base] },
  };
}

/** A rule: files under `from` may not import anything that matches one of `banned`. */
function never(name, from, banned, comment) {
  return { name, comment, severity: 'error', from: { path: from }, to: { path: banned } };
}

module.exports = {
  forbidden: [
    {
      name: 'base-imports-nothing',
      comment:
        'src/wire and src/errors sit under every layer, so they import nothing of ours but each other.',
      severity: 'error',
      from: { path: base },
      to: { path: ours, pathNot: base },
    },
    layer(
      'runtime',
      '^src/runtime/',
      ['^src/runtime/'],
      'The actor runtime knows nothing of models, plugins or the CLI.',
    ),
    layer(
      'executor',
      '^src/executor/',
      ['^src/executor/', '^src/runtime/'],
      'The Python executor is runtime-level code.',
    ),
    layer('model', '^src/model/', ['^src/model/'], 'The model knows nothing of actors or self-play.'),
    layer('rl', '^src/rl/', ['^src/rl/', '^src/model/'], 'The learning rules work on the model only.'),
    layer(
      'plugins-api',
      '^src/plugins/',
      ['^src/plugins/'],
      'The plugin API stands alone, so a plugin needs nothing else.',
    ),
    layer('selfplay', '^src/selfplay/', ['^src/selfplay/', '^src/plugins/'], 'The step arithmetic is pure.'),
    layer(
      'report',
      '^src/report/',
      ['^src/report/', '^src/selfplay/'],
      'The report reads metrics by the names src/selfplay owns.',
    ),
    layer(
      'topology',
      '^src/topology/',
      ['^src/topology/', '^src/runtime/', '^src/plugins/'],
      'Topologies build runtime systems.',
    ),
    never(
      'actors',
      '^actors/',
      '^(src/cli/|src/run/|src/index\\.ts$|plugins/|examples/|tests/|bench/|bin/)',
      'Actors use the library layers; the built-in plugins are registered above them (src/run).',
    ),
    layer(
      'plugins',
      '^plugins/',
      ['^plugins/', '^src/plugins/'],
      'A built-in plugin uses the plugin API only, as an outside plugin would.',
    ),
    never(
      'run',
      '^src/run/',
      '^(src/cli/|examples/|tests/|bench/|bin/)',
      'The library run loop is below the CLI.',
    ),
    never(
      'public-api',
      '^src/index\\.ts$',
      '^(src/cli/|examples/|tests/|bench/|bin/)',
      'The public API is below the CLI.',
    ),
    never(
      'cli',
      '^src/cli/',
      '^(examples/|tests/|bench/)',
      'The CLI ships; examples, tests and benchmarks do not.',
    ),
    layer(
      'examples',
      '^examples/',
      ['^examples/', '^src/index\\.ts$'],
      'Examples use the public API, as a user would.',
    ),
    {
      name: 'no-cycle-between-layers',
      comment:
        'A cycle that leaves its layer (a folder of src/, or a top-level folder) ties two layers into one.',
      severity: 'error',
      from: { path: '^(src/[^/]+/|src/[^/]+\\.ts$|[^/]+/)' },
      to: { circular: true, via: { pathNot: '^$1' } },
    },
    {
      name: 'no-dev-dependencies-in-shipped-code',
      comment: 'src/, actors/ and plugins/ ship; a devDependency is not installed for users.',
      severity: 'error',
      from: { path: '^(src|actors|plugins)/' },
      to: { dependencyTypes: ['npm-dev'] },
    },
    {
      name: 'no-undeclared-packages',
      comment: 'A package imported by our code must be in package.json.',
      severity: 'error',
      from: { path: ours },
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'no-unresolvable',
      comment: 'An import that does not resolve is a typo or a missing file.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: path.join(__dirname, 'tsconfig.json') },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
