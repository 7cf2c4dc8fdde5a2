// `npm run bench -- runtime`: message throughput of the actor runtime, with baselines run in this process:
// raw nact for delivery, JSON for the codec. Last line: one JSON object with the figures.
import { performance } from 'node:perf_hooks';
import nact from 'nact';
import { createSystem, decode, encode, type HostKind } from '../src/runtime/index.ts';
import { sink, taskMessage } from './fixtures/sink-actor.ts';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 200_000);
const ASKS = Number(process.env.BENCH_ASKS ?? 100_000);
const CODEC_ROUNDS = 500_000;

async function nactBaseline(n: number): Promise<number> {
  const system = nact.start();
  let count = 0;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const actor = nact.spawn(system, (state: number) => {
    if (++count === n) finish();
    return state;
  });
  const message = taskMessage(0);
  const start = performance.now();
  for (let i = 0; i < n; i++) nact.dispatch(actor, message);
  await done;
  const seconds = (performance.now() - start) / 1000;
  nact.stop(system);
  return n / seconds;
}

async function tellThroughput(host: HostKind, encodeInline: boolean, n: number): Promise<number> {
  const system = createSystem();
  const ref = system.spawn(sink, { name: 'sink', host, encode: encodeInline, mailbox: { capacity: 4096 } });
  await ref.ask({ type: 'count' });
  const messages = Array.from({ length: 64 }, (_, i) => taskMessage(i));
  const start = performance.now();
  for (let i = 0; i < n; i++) await ref.tell(messages[i & 63]!);
  const received = await ref.ask({ type: 'count' }, { timeoutMs: 120_000 });
  const seconds = (performance.now() - start) / 1000;
  await system.stop();
  if (received !== n) throw new Error(`sink received ${received} of ${n} messages`);
  return n / seconds;
}

async function askThroughput(n: number, concurrency: number): Promise<number> {
  const system = createSystem();
  const ref = system.spawn(sink, { name: 'sink', mailbox: { capacity: 4096 } });
  await ref.ask({ type: 'count' });
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await ref.ask({ type: 'echo', n: next++ });
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  await system.stop();
  return n / seconds;
}

function codecThroughput(): { msgpack: number; json: number; bytes: { msgpack: number; json: number } } {
  const message = taskMessage(1);
  const time = (roundTrip: () => void) => {
    for (let i = 0; i < 10_000; i++) roundTrip();
    const start = performance.now();
    for (let i = 0; i < CODEC_ROUNDS; i++) roundTrip();
    return CODEC_ROUNDS / ((performance.now() - start) / 1000);
  };
  return {
    msgpack: time(() => decode(encode(message))),
    json: time(() => JSON.parse(JSON.stringify(message))),
    bytes: { msgpack: encode(message).length, json: Buffer.byteLength(JSON.stringify(message)) },
  };
}

const fmt = (n: number) => `${Math.round(n).toLocaleString('en-US')}`;
const figures: Record<string, number> = {};

await nactBaseline(MESSAGES); // warm-up: JIT and the nact module, so the baseline is not measured cold
await tellThroughput('inline', true, MESSAGES / 4);
figures.nactBaselineMsgsPerSec = await nactBaseline(MESSAGES);
console.log(`baseline  raw nact dispatch, inline            ${fmt(figures.nactBaselineMsgsPerSec)} msg/s`);
figures.inlineMsgsPerSec = await tellThroughput('inline', true, MESSAGES);
console.log(
  `inline    tell, msgpack copy + schema check   ${fmt(figures.inlineMsgsPerSec)} msg/s  (${(figures.inlineMsgsPerSec / figures.nactBaselineMsgsPerSec).toFixed(2)}× raw nact)`,
);
figures.inlineNoEncodeMsgsPerSec = await tellThroughput('inline', false, MESSAGES);
console.log(
  `inline    tell, no copy, schema check         ${fmt(figures.inlineNoEncodeMsgsPerSec)} msg/s  (${(figures.inlineNoEncodeMsgsPerSec / figures.nactBaselineMsgsPerSec).toFixed(2)}× raw nact)`,
);
figures.threadMsgsPerSec = await tellThroughput('thread', true, MESSAGES);
console.log(
  `thread    tell across a worker (msgpack)      ${fmt(figures.threadMsgsPerSec)} msg/s  (${(figures.threadMsgsPerSec / figures.nactBaselineMsgsPerSec).toFixed(2)}× raw nact)`,
);
figures.processMsgsPerSec = await tellThroughput('process', true, Math.min(MESSAGES, 100_000));
console.log(`process   tell across a child process         ${fmt(figures.processMsgsPerSec)} msg/s`);
figures.asksPerSec = await askThroughput(ASKS, 64);
console.log(`inline    ask round trips, 64 outstanding     ${fmt(figures.asksPerSec)} asks/s`);
figures.sequentialAsksPerSec = await askThroughput(ASKS / 4, 1);
console.log(`inline    ask round trips, one at a time      ${fmt(figures.sequentialAsksPerSec)} asks/s`);
const codec = codecThroughput();
figures.msgpackRoundTripsPerSec = codec.msgpack;
figures.jsonRoundTripsPerSec = codec.json;
figures.msgpackBytes = codec.bytes.msgpack;
figures.jsonBytes = codec.bytes.json;
console.log(
  `codec     encode+decode ${codec.bytes.msgpack}-byte task: msgpack ${fmt(codec.msgpack)}/s, JSON (${codec.bytes.json} bytes) ${fmt(codec.json)}/s  (msgpack ${(codec.msgpack / codec.json).toFixed(2)}× JSON)`,
);
console.log(JSON.stringify({ bench: 'runtime', messages: MESSAGES, ...figures }));
