// Finding 4 of issue 19: a NATS outage ended the head, and after a SIGKILLed server nodes left as if the run
// were done. Now the head retries through the outage and nodes leave only on the head's word.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type NatsServer, startNats } from './helpers/nats-server.ts';

const config = 'tests/fixtures/distributed.yaml';
/** The outage the issue asks the run to live through. */
const outageMs = 30_000;

function azrProcess(args: string[]) {
  const child: ChildProcess = spawn(process.execPath, ['bin/azr.js', ...args]);
  let stderr = '';
  let watcher: { pattern: RegExp; resolve(): void } | undefined;
  child.stdout!.resume();
  child.stderr!.on('data', (data) => {
    stderr += data;
    if (watcher?.pattern.test(stderr)) {
      watcher.resolve();
      watcher = undefined;
    }
  });
  return {
    child,
    stderr: () => stderr,
    line: (pattern: RegExp) =>
      new Promise<void>((resolve) => {
        if (pattern.test(stderr)) resolve();
        else watcher = { pattern, resolve };
      }),
    exit: new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code))),
  };
}

let nats: NatsServer;
before(async () => {
  nats = await startNats(config);
});
after(() => nats.stop());

test('the nats-server SIGKILLed mid-run and back after 30 s on the same port and store: the run completes', {
  timeout: 300_000,
}, async () => {
  const creds = ['--nats', nats.url, '--nats-secrets', nats.secrets];
  const runDir = await mkdtemp(join(tmpdir(), 'azr-outage-'));
  const head = azrProcess(['run', config, '--out', runDir, ...creds]);
  const node = azrProcess([
    'node',
    '--config',
    config,
    '--roles',
    'validator,solver',
    '--id',
    'n1',
    '--verbose',
    ...creds,
  ]);
  // Right after the node joins, the head publishes the learner's first weights to it (a broadcast, through the
  // object store): the server dies under that publish.
  await head.line(/node n1 joined/);
  await nats.kill();
  await sleep(outageMs);
  await nats.start();
  assert.equal(await head.exit, 0, head.stderr());
  assert.equal(await node.exit, 0, node.stderr());
  assert.match(node.stderr(), /the run is done/, "the node left on the head's word");
  assert.match(head.stderr(), /NATS unreachable while publishing job/, 'the outage hit a publish');
  const summary = JSON.parse(await readFile(join(runDir, 'summary.json'), 'utf8'));
  assert.equal(summary.steps, 2);
});
