// `npm run bench -- distributed`: validation throughput through 1 and 2 `azr node` processes on loopback (a local
// nats-server with JetStream, users from `azr nats-config`), and ask latency over NATS against the same ask inline.
// Last line: one JSON object with the figures.
import { type ChildProcess, spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { validatorProtocol } from '../actors/validator.ts';
import { loadConfig } from '../src/run/load.ts';
import { startHead } from '../src/cli/nats.ts';
import { createSystem } from '../src/runtime/index.ts';
import { buildTopology } from '../src/topology/index.ts';
import { startNats } from '../tests/helpers/nats-server.ts';
import { sink } from './fixtures/sink-actor.ts';

const CONFIG = 'bench/fixtures/distributed.yaml';
const ASKS = Number(process.env.BENCH_ASKS ?? 2000);
const BATCHES = Number(process.env.BENCH_BATCHES ?? 120);
const BATCH = 8;
const CONCURRENCY = 8;

const nats = await startNats(CONFIG);
const loaded = await loadConfig(CONFIG);
const head = await startHead(loaded, { nats: nats.url, 'nats-secrets': nats.secrets }, { log: () => {} });
const system = buildTopology(loaded, { hosts: { remote: head.host } });
head.attach(system);
const nodes: ChildProcess[] = [];
const startNode = async (id: string) => {
  nodes.push(
    spawn(
      process.execPath,
      [
        'bin/azr.js',
        'node',
        '--config',
        CONFIG,
        '--roles',
        'validator,echo',
        '--id',
        id,
        '--nats',
        nats.url,
      ].concat(['--nats-secrets', nats.secrets]),
      { stdio: 'ignore' },
    ),
  );
  await waitFor(() => head.nodes.size === nodes.length);
};

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** A proposal that costs a few milliseconds of Python, so the executor, not the messaging, is what is measured. */
const proposal = (i: number) => ({
  code: `def f(n):\n    total = 0\n    for k in range(n):\n        total = (total * 31 + k * k) % 1000003\n    return total\n`,
  input: String(20_000 + i),
});

async function validationThroughput(): Promise<number> {
  const validator = system.lookup<typeof validatorProtocol.spec>('validator');
  const batches = Array.from({ length: BATCHES }, (_, b) =>
    Array.from({ length: BATCH }, (_, i) => proposal(b * BATCH + i)),
  );
  await validator.ask({ type: 'validate', proposals: batches[0]! }, { timeoutMs: 60_000 });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < batches.length) {
        const { results } = await validator.ask(
          { type: 'validate', proposals: batches[next++]! },
          { timeoutMs: 120_000 },
        );
        if (!results.every((r) => r.valid))
          throw new Error(`an invalid result: ${JSON.stringify(results[0])}`);
      }
    }),
  );
  return (BATCHES * BATCH) / ((performance.now() - started) / 1000);
}

async function askLatency(ref: { ask(message: { type: 'echo'; n: number }): Promise<unknown> }) {
  for (let i = 0; i < 200; i++) await ref.ask({ type: 'echo', n: i });
  const times: number[] = [];
  for (let i = 0; i < ASKS; i++) {
    const started = performance.now();
    await ref.ask({ type: 'echo', n: i });
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(times.length / 2)]!, p99: times[Math.floor(times.length * 0.99)]! };
}

const figures: Record<string, number | string> = { bench: 'distributed' };
try {
  await startNode('bench-1');
  figures.oneNodeValidationsPerSec = await validationThroughput();
  console.log(`validation through 1 node:  ${figures.oneNodeValidationsPerSec.toFixed(0)} proposals/s`);
  const nats1 = await askLatency(system.lookup<typeof sink.protocol.spec>('echo'));
  await startNode('bench-2');
  figures.twoNodeValidationsPerSec = await validationThroughput();
  figures.speedup = figures.twoNodeValidationsPerSec / figures.oneNodeValidationsPerSec;
  console.log(
    `validation through 2 nodes: ${figures.twoNodeValidationsPerSec.toFixed(0)} proposals/s (×${figures.speedup.toFixed(2)})`,
  );
  const inlineSystem = createSystem();
  const inline = await askLatency(inlineSystem.spawn(sink, { name: 'echo' }));
  await inlineSystem.stop();
  Object.assign(figures, {
    natsAskP50Ms: nats1.p50,
    natsAskP99Ms: nats1.p99,
    inlineAskP50Ms: inline.p50,
    inlineAskP99Ms: inline.p99,
  });
  console.log(
    `ask latency over NATS: p50 ${nats1.p50.toFixed(3)} ms, p99 ${nats1.p99.toFixed(3)} ms; ` +
      `inline: p50 ${inline.p50.toFixed(4)} ms, p99 ${inline.p99.toFixed(4)} ms (×${(nats1.p50 / inline.p50).toFixed(0)})`,
  );
} finally {
  await system.stop();
  await head.close();
  for (const node of nodes) node.kill('SIGTERM');
  await Promise.all(
    nodes.map((n) => new Promise((resolve) => (n.exitCode !== null ? resolve(0) : n.on('exit', resolve)))),
  );
  await nats.stop();
}
console.log(JSON.stringify(figures));
