import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { defineActor, defineProtocol } from '../src/runtime/index.ts';
import {
  ActorKinds,
  buildTopology,
  ConfigError,
  type ConfigIssue,
  formatTree,
  parseTopology,
} from '../src/topology/index.ts';
import { counter } from './fixtures/counter-actor.ts';
import { azr } from './helpers/azr.ts';

const inlineOnly = defineActor({
  kind: 'inline-only',
  protocol: defineProtocol({}),
  init: () => ({}),
  handlers: {},
});

const kinds = () => new ActorKinds().register(counter).register(inlineOnly);

async function issuesOf(text: string): Promise<ConfigIssue[]> {
  try {
    await parseTopology(text, { file: 'bad.yaml', kinds: kinds() });
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.issues;
  }
  assert.fail('the topology was accepted');
}

async function assertIssue(text: string, pointer: string, message: RegExp): Promise<void> {
  const issues = await issuesOf(text);
  const found = issues.find((i) => i.pointer === pointer && message.test(i.message));
  assert.ok(found, `expected ${pointer} ${message}; got ${JSON.stringify(issues)}`);
}

const actor = (extra: string) => `actors:\n  - name: c\n    kind: counter\n${extra}`;

describe('bad topologies: each problem reported with its JSON pointer', () => {
  /** name, topology text, the JSON pointer of the issue, its message. */
  const cases: [string, string, string, RegExp][] = [
    ['unknown top-level key', `${actor('')}bogus: 1\n`, '/bogus', /not allowed here \(unknown key\)/],
    ['unknown key in an actor', actor('    colour: blue\n'), '/actors/0/colour', /unknown key/],
    ['wrong type', actor('    count: two\n'), '/actors/0/count', /must be integer/],
    ['count below 1', actor('    count: 0\n'), '/actors/0/count', /must be >= 1/],
    ['count above the limit', actor('    count: 5000\n'), '/actors/0/count', /must be <= 1024/],
    ['fractional count', actor('    count: 1.5\n'), '/actors/0/count', /must be integer/],
    [
      'unknown host',
      actor('    host: gpu\n'),
      '/actors/0/host',
      /must be one of: "inline", "thread", "process"/,
    ],
    [
      'unknown actor kind, listing the known ones',
      'actors:\n  - name: x\n    kind: teleporter\n',
      '/actors/0/kind',
      /unknown actor kind "teleporter"; known kinds: counter, inline-only/,
    ],
    [
      'duplicate names',
      `${actor('')}  - name: c\n    kind: counter\n`,
      '/actors/1/name',
      /gives the name "c", already used at \/actors\/0\/name/,
    ],
    [
      'a replica name that collides with another actor',
      `${actor('    count: 2\n')}  - name: c-1\n    kind: counter\n`,
      '/actors/1/name',
      /"c-1", already used/,
    ],
    [
      'negative restart budget',
      `supervision: { maxRestarts: -1 }\n${actor('')}`,
      '/supervision/maxRestarts',
      /must be >= 0/,
    ],
    [
      'empty restart window',
      actor('    supervision: { withinMs: 0 }\n'),
      '/actors/0/supervision/withinMs',
      /must be >= 1/,
    ],
    [
      'backoff that shrinks',
      actor('    supervision: { backoff: { factor: 0.5 } }\n'),
      '/actors/0/supervision/backoff/factor',
      /must be >= 1/,
    ],
    [
      'unknown strategy',
      actor('    supervision: { strategy: rest-for-all }\n'),
      '/actors/0/supervision/strategy',
      /must be one of/,
    ],
    [
      "options that break the kind's own schema",
      actor('    options: { start: lots }\n'),
      '/actors/0/options/start',
      /must be integer \(options of kind "counter"\)/,
    ],
    [
      'unknown option of the kind',
      actor('    options: { stat: 1 }\n'),
      '/actors/0/options/stat',
      /unknown key/,
    ],
    [
      'a thread host for a kind that can only run inline',
      'actors:\n  - name: i\n    kind: inline-only\n    host: thread\n',
      '/actors/0/host',
      /can only run inline/,
    ],
    ['no actors', 'name: empty\n', '/actors', /is required/],
    [
      'a module that cannot be loaded',
      `modules: [./does-not-exist.ts]\n${actor('')}`,
      '/modules/0',
      /cannot be loaded/,
    ],
  ];
  for (const [name, text, pointer, message] of cases) test(name, () => assertIssue(text, pointer, message));
  test('mailbox capacity 0 and an unknown overflow policy', async () => {
    const text = actor('    mailbox: { capacity: 0, overflow: explode }\n');
    await assertIssue(text, '/actors/0/mailbox/capacity', /must be >= 1/);
    await assertIssue(
      text,
      '/actors/0/mailbox/overflow',
      /must be one of: "backpressure", "drop-oldest", "reject"/,
    );
  });
  test('remote actors: names that cannot name NATS subjects, a kind with checkpointed state, a bad nats key', async () => {
    const names = 'name: my run\nactors:\n  - name: c.1\n    kind: inline-only\n    host: remote\n';
    await assertIssue(names, '/name', /letters, digits, "_" and "-" only .* host "remote"/);
    await assertIssue(names, '/actors/0/name', /letters, digits, "_" and "-" only .* host "remote"/);
    await assertIssue(`nats: { ackWaitMs: 5 }\n${actor('')}`, '/nats/ackWaitMs', /must be >= 100/);
    const valid = 'name: run\nactors:\n  - name: c\n    kind: counter\n    host: remote\n';
    await assertIssue(valid, '/actors/0/host', /keeps state in checkpoints .* cannot run on host "remote"/);
  });
  test('invalid YAML, with its line', async () => {
    const [issue] = await issuesOf('actors: [\n  - name: c\n');
    assert.match(issue!.message, /is not valid YAML\/JSON/);
    assert.ok(issue!.line && issue!.line >= 1);
  });
  test('invalid JSON', async () => {
    const [issue] = await issuesOf('{"actors": [}');
    assert.match(issue!.message, /is not valid YAML\/JSON/);
  });
  test('every problem at once, each with its line and column', async () => {
    const issues = await issuesOf(
      'name: x\nactors:\n  - name: a\n    kind: nope\n    count: 0\n    extra: 1\n',
    );
    const pointers = issues.map((i) => i.pointer).sort();
    assert.deepEqual(pointers, ['/actors/0/count', '/actors/0/extra']);
    const count = issues.find((i) => i.pointer === '/actors/0/count')!;
    assert.deepEqual([count.line, count.column], [5, 12]);
  });
});

test('a good topology gets defaults and builds the supervision tree it describes', async () => {
  const text = [
    'name: good',
    'seed: 3',
    'actors:',
    '  - name: c',
    '    kind: counter',
    '    count: 2',
    '    host: thread',
    '    supervision: { strategy: all-for-one, maxRestarts: 4, withinMs: 1000 }',
    '  - { name: solo, kind: counter, options: { start: 9 } }',
  ].join('\n');
  const loaded = await parseTopology(text, { kinds: kinds() });
  assert.equal(loaded.topology.actors[1]!.host, 'inline');
  assert.equal(loaded.topology.actors[1]!.mailbox, undefined);
  const system = buildTopology(loaded, { start: false });
  assert.equal(
    formatTree(system.tree()),
    [
      'root (supervisor: one-for-one, at most 1 restart(s) in 5000 ms, permanent)',
      '├─ c (supervisor: all-for-one, at most 4 restart(s) in 1000 ms, permanent)',
      '│  ├─ c-0 [counter] thread, mailbox 1024 backpressure, permanent',
      '│  └─ c-1 [counter] thread, mailbox 1024 backpressure, permanent',
      '└─ solo (supervisor: one-for-one, at most 1 restart(s) in 5000 ms, permanent)',
      '   └─ solo [counter] inline, mailbox 1024 backpressure, permanent',
    ].join('\n'),
  );
  system.start();
  assert.equal(await system.lookup<typeof counter.protocol.spec>('solo').ask({ type: 'get' }), 9);
  await system.stop();
});

describe('azr topology check', () => {
  test('prints the actor tree of a good file, exit 0', async () => {
    const { code, stdout } = await azr('topology', 'check', 'examples/demo/topology.yaml');
    assert.equal(code, 0);
    assert.match(stdout, /squarer-1 \[demo-squarer\] thread, mailbox 64 backpressure, permanent/);
    assert.match(stdout, /journal \[demo-journal\] process/);
  });

  test('lists every problem with file, line and JSON pointer, exit 2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'azr-topology-'));
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'actors:\n  - name: a\n    kind: nope\n    count: -3\n    host: moon\n');
    const { code, stderr } = await azr('topology', 'check', file);
    assert.equal(code, 2);
    assert.match(stderr, /bad\.yaml:4:12: \/actors\/0\/count must be >= 1/);
    assert.match(stderr, /bad\.yaml:5:11: \/actors\/0\/host must be one of/);
  });

  test('a missing file is bad input, exit 2', async () => {
    const { code, stderr } = await azr('topology', 'check', 'no/such/file.yaml');
    assert.equal(code, 2);
    assert.match(stderr, /cannot be read/);
  });
});
