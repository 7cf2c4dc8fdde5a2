// A distributed run for the NATS tests: one nats-server for the test file (or `describe`) that calls `natsRun`,
// started before its tests and stopped after, and the `azr` processes of a run on it — the head and the nodes.
import { after, before } from 'node:test';
import { type AzrProcess, spawnAzr } from './azr.ts';
import { type NatsServer, startNats } from './nats-server.ts';

export interface NatsRun {
  /** The server (started by the time a test runs). */
  server(): NatsServer;
  /** `--nats URL --nats-secrets FILE` for this server. */
  creds(): string[];
  /** `azr run CONFIG --out RUN_DIR` on this server: the head. */
  head(runDir: string): AzrProcess;
  /** `azr node` serving the config's validator and solver as node `id`, on this server. */
  node(id: string, ...args: string[]): AzrProcess;
}

export function natsRun(config: string): NatsRun {
  let nats: NatsServer | undefined;
  const started: AzrProcess[] = [];
  const spawned = (p: AzrProcess) => {
    started.push(p);
    return p;
  };
  before(async () => {
    nats = await startNats(config);
  });
  // A test that failed or timed out may leave its head or nodes waiting on the server: they must not keep the
  // test file (and the suite) alive.
  after(async () => {
    for (const p of started)
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await nats?.stop();
  });
  const server = () => {
    if (!nats) throw new Error('the nats-server starts before the tests');
    return nats;
  };
  const creds = () => ['--nats', server().url, '--nats-secrets', server().secrets];
  return {
    server,
    creds,
    head: (runDir) => spawned(spawnAzr(['run', config, '--out', runDir, ...creds()])),
    node: (id, ...args) =>
      spawned(
        spawnAzr([
          'node',
          '--config',
          config,
          '--roles',
          'validator,solver',
          '--id',
          id,
          ...args,
          ...creds(),
        ]),
      ),
  };
}

/** Two nodes, one of which gets SIGKILLed: the one that first logs a line matching `took` (a job taken). */
export interface KilledNode {
  victim: AzrProcess;
  survivor: AzrProcess;
  victimId: string;
  /** The id of the job the victim held. */
  job: string;
}

/**
 * Starts nodes `ids` with `start` and kills with SIGKILL the first to log a line matching `took`, which must
 * capture "took job ID". Fails with both nodes' stderr if both exit before either takes a job.
 */
export async function killFirstTaker(
  start: (id: string) => AzrProcess,
  ids: [string, string],
  took: RegExp,
): Promise<KilledNode> {
  const nodes = ids.map((id) => ({ id, p: start(id) }));
  const taken = await Promise.any(nodes.map((n) => n.p.line(took).then((line) => ({ n, line })))).catch(
    (error: AggregateError) => {
      throw new Error(`neither node took a job:\n${error.errors.map((e: Error) => e.message).join('\n')}`);
    },
  );
  const survivor = nodes.find((n) => n !== taken.n)!;
  taken.n.p.child.kill('SIGKILL');
  return {
    victim: taken.n.p,
    survivor: survivor.p,
    victimId: taken.n.id,
    job: /took job (\S+)/.exec(taken.line)![1]!,
  };
}
