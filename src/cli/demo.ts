// `azr demo`: runs the runtime demo topology and narrates what the supervisors do. The demo's actors
// (examples/demo/actors.ts) are loaded by path, through the topology's `modules`, like any actor of the user's own.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { TArray, TInteger, TObject, TString } from '@sinclair/typebox';
import type { RuntimeEvent } from '../runtime/index.ts';
import { buildTopology, formatTree } from '../topology/index.ts';
import { loadConfig } from '../run/load.ts';

const defaultTopology = fileURLToPath(new URL('../../examples/demo/topology.yaml', import.meta.url));

/** The asks the narration makes, as the demo's protocols declare them: the producer's `run`, the journal's `lines`. */
type ProducerAsks = {
  run: {
    request: TObject<{ jobs: TInteger }>;
    reply: TObject<{ sum: TInteger; retries: TInteger; hosts: TArray<TString> }>;
  };
};
type JournalAsks = {
  lines: { request: TObject<Record<never, never>>; reply: TObject<{ count: TInteger; where: TString }> };
};

function narrate(event: RuntimeEvent, since: number): string | undefined {
  const at = `[${String(event.at - since).padStart(5)} ms]`;
  switch (event.type) {
    case 'started':
      return `${at} ${event.actor} started (${event.host})`;
    case 'crashed':
      return `${at} ${event.actor} crashed: ${event.error.message}`;
    case 'restarting':
      return `${at} ${event.supervisor} restarts ${event.actor} in ${event.delayMs} ms (restart ${event.attempt} in its window)`;
    case 'escalated':
      return `${at} ${event.actor} gave up and escalated: ${event.reason}`;
    case 'rejected':
      return `${at} ${event.actor} rejected a "${event.messageType}" message: ${event.pointer} ${event.problem}`;
    default:
      return undefined;
  }
}

export async function run(args: string[]): Promise<number> {
  let values: { jobs: string; config: string };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        jobs: { type: 'string', default: '40' },
        config: { type: 'string', default: defaultTopology },
      },
    }));
  } catch (error) {
    console.error(`azr demo: ${(error as Error).message}\nusage: azr demo [--config TOPOLOGY] [--jobs N]`);
    return 2;
  }
  const jobs = Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) {
    console.error(`azr demo: --jobs must be a positive integer, got "${values.jobs}"`);
    return 2;
  }
  const loaded = await loadConfig(values.config!);
  const system = buildTopology(loaded, { start: false });
  console.log(`Actor tree of "${loaded.topology.name}":\n${formatTree(system.tree())}\n`);
  const since = system.clock.now();
  system.events.on((event) => {
    const line = narrate(event, since);
    if (line) console.log(line);
  });
  system.start();
  const producer = system.lookup<ProducerAsks>('producer');
  const result = await producer.ask({ type: 'run', jobs }, { timeoutMs: 60_000 });
  const journal = await system.lookup<JournalAsks>('journal').ask({ type: 'lines' });
  const report = await system.stop();
  const expected = (jobs * (jobs + 1) * (2 * jobs + 1)) / 6;
  console.log(
    `\nSum of squares 1..${jobs}: ${result.sum} (expected ${expected}); ${result.retries} job(s) retried after a crash`,
  );
  console.log(`Squares computed at: ${result.hosts.join('; ')}`);
  console.log(`Journal (${journal.where}) recorded ${journal.count} lines`);
  const crashes = Object.entries(report.actors).filter(([, s]) => s.crashes > 0);
  console.log(
    `Crashes: ${crashes.map(([name, s]) => `${name} ×${s.crashes} (started ${s.starts} times)`).join(', ') || 'none'}`,
  );
  console.log(`System stopped: ${report.reason}`);
  return result.sum === expected ? 0 : 1;
}
