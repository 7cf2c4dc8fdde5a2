// `azr node --config FILE --nats URL --roles a,b [--id NAME]`: joins a distributed run and serves the named remote
// actors until the run ends. Exit codes: 0 the run ended, 1 runtime failure, 2 bad input or refused.
import { hostname } from 'node:os';
import { type NatsNode, NatsNode as Node } from '../runtime/nats-node.ts';
import { NATS_NAME, runNames } from '../runtime/nats-subjects.ts';
import { NatsRefusedError } from '../runtime/nats-wire.ts';
import { booleanFlag, parseCommand, stringFlag } from './args.ts';
import { loadConfig } from '../run/load.ts';
import { sandboxReadiness, startsSandbox } from './system-parts.ts';
import { natsFlags, natsSection, natsSettings, natsUsage, remoteActors, runFingerprint } from './nats.ts';

const usage = `usage: azr node --config FILE --roles ROLE[,ROLE…] [--id NAME] [--verbose] ${natsUsage}`;

export async function run(args: string[]): Promise<number> {
  const options = {
    config: stringFlag,
    roles: stringFlag,
    id: stringFlag,
    verbose: booleanFlag,
    ...natsFlags,
  };
  const parsed = parseCommand('node', usage, { args, options });
  if (typeof parsed === 'number') return parsed;
  const values: Record<string, string | boolean | undefined> = parsed.values;
  if (typeof values.config !== 'string' || typeof values.roles !== 'string') {
    console.error(usage);
    return 2;
  }
  const id =
    typeof values.id === 'string'
      ? values.id
      : `${hostname()}-${process.pid}`.replace(/[^A-Za-z0-9_-]/g, '_');
  if (!NATS_NAME.test(id)) {
    console.error(`azr node: --id "${id}" must use letters, digits, "_" and "-" only`);
    return 2;
  }
  const loaded = await loadConfig(values.config);
  const remote = remoteActors(loaded.topology);
  const roles = values.roles
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const known = [...new Set(remote.map((a) => a.role))];
  const unknown = roles.filter((r) => !known.includes(r));
  if (roles.length === 0 || unknown.length > 0) {
    console.error(
      `azr node: ${values.config}: ${unknown.length ? `no remote actor named ${unknown.join(', ')}` : 'no --roles given'}; ` +
        `its remote roles (host: remote): ${known.join(', ') || '(none)'}`,
    );
    return 2;
  }
  if (remote.some((actor) => roles.includes(actor.role) && startsSandbox(actor.entry))) {
    const problem = sandboxReadiness();
    if (problem !== null) {
      console.error(`azr node: ${problem}`);
      return 1;
    }
  }
  const section = natsSection(loaded.topology);
  const names = runNames(loaded.topology.name);
  const flags = values as Record<string, string | undefined>;
  const settings = new Map(
    await Promise.all(
      roles.map(async (role) => [role, await natsSettings(loaded, flags, names.user(role))] as const),
    ),
  );
  const log = (line: string) => console.error(line);
  let node: NatsNode;
  for (;;) {
    try {
      node = await Node.join({
        id,
        run: loaded.topology.name,
        fingerprint: runFingerprint(loaded),
        actors: remote
          .filter((a) => roles.includes(a.role))
          .map((a) => ({
            name: a.name,
            role: a.role,
            definition: loaded.kinds.get(a.entry.kind)!,
            options: {
              ...a.entry.options,
              ...(a.entry.count > 1 ? { replica: Number(a.name.split('-').at(-1)) } : {}),
            },
          })),
        settings: (role) => settings.get(role)!,
        heartbeatMs: section.heartbeatMs,
        inlineLimit: section.inlineLimitBytes,
        prefetch: section.prefetch,
        joinTimeoutMs: section.joinTimeoutMs,
        log,
        verbose: values.verbose === true,
      });
    } catch (error) {
      if (error instanceof NatsRefusedError) {
        console.error(`azr node: ${error.message}`);
        return 2;
      }
      console.error(`azr node: ${(error as Error).message}`);
      return 1;
    }
    const stop = () => void node.stop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    let end: Awaited<NatsNode['ended']>;
    try {
      end = await node.ended;
    } catch (error) {
      console.error(`azr node: ${(error as Error).message}`);
      await node.stop();
      return 1;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    if (end !== 'new-run') {
      log(`node ${id}: ${end === 'done' ? 'the run is done' : 'stopped'}; leaving`);
      return 0;
    }
    log(`node ${id}: a new head took run "${names.run}" over; joining it`);
  }
}
