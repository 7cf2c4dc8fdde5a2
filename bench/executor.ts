// `npm run bench -- executor`: AZR validations per second on 2 workers (the 2 cores of this machine),
// sandboxed (bubblewrap pool) versus a baseline shaped like the reference executor
// (bench/reference_executor.py: a Python process pool exec()ing each job, no sandbox), measured the same way
// from here: throughput with every job submitted at once, then latency with one job in flight per worker.
// Last line: one JSON object with the figures.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { PythonPool, validateOne } from '../src/executor/index.ts';
import { mulberry32 } from './tools/mulberry32.ts';

const WORKERS = 2;
const PROGRAMS = 240;
const ROUNDS = 10; // one throughput run validates PROGRAMS × ROUNDS proposals
const REPEATS = 5; // throughput runs per executor, interleaved
const LATENCY_JOBS = 600;

interface Program {
  code: string;
  input: string;
}

/** CRUXEval-style templates; each program fills one with seeded parameters and a seeded input. */
function makePrograms(count: number, seed = 20250505): Program[] {
  const random = mulberry32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const word = (length: number) =>
    Array.from({ length }, () => 'abcdefghijklmnopqrstuvwxyz'[int(0, 25)]).join('');
  const ints = (length: number) => `[${Array.from({ length }, () => int(-20, 40)).join(', ')}]`;
  const templates: (() => Program)[] = [
    () => ({ code: `def f(s):\n    return s[::-1] + s[:${int(1, 4)}]`, input: `'${word(int(4, 12))}'` }),
    () => ({
      code: 'def f(s):\n    counts = {}\n    for ch in s:\n        counts[ch] = counts.get(ch, 0) + 1\n    return counts',
      input: `'${word(int(5, 15))}'`,
    }),
    () => ({
      code: `def f(xs):\n    return [x * ${int(2, 5)} for x in xs if x % ${int(2, 4)} == 0]`,
      input: ints(int(5, 12)),
    }),
    () => ({ code: 'def f(xs):\n    return sorted(xs, key=lambda x: (abs(x), x))', input: ints(int(5, 12)) }),
    () => ({
      code: `def f(s):\n    return s.replace('${word(1)}', '${word(2)}').upper()`,
      input: `'${word(int(6, 14))}'`,
    }),
    () => ({
      code: 'def f(n):\n    total = 0\n    for i in range(n):\n        for j in range(i):\n            total += i * j\n    return total',
      input: String(int(5, 30)),
    }),
    () => ({
      code: 'def f(d):\n    inv = {}\n    for k, v in d.items():\n        inv.setdefault(v, []).append(k)\n    return inv',
      input: `{${Array.from({ length: int(3, 6) }, (_, i) => `'${word(2)}${i}': ${int(0, 3)}`).join(', ')}}`,
    }),
    () => ({
      code: 'def f(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a',
      input: String(int(10, 60)),
    }),
    () => ({
      code: "def f(s):\n    stack = []\n    for c in s:\n        if c == '(':\n            stack.append(c)\n        elif c == ')':\n            if not stack:\n                return False\n            stack.pop()\n    return not stack",
      input: `'${Array.from({ length: int(4, 16) }, () => (random() < 0.5 ? '(' : ')')).join('')}'`,
    }),
    () => ({
      code: 'def f(s):\n    out = []\n    for c in s:\n        if out and out[-1][0] == c:\n            out[-1][1] += 1\n        else:\n            out.append([c, 1])\n    return [(c, n) for c, n in out]',
      input: `'${Array.from({ length: int(3, 8) }, () => 'abc'[int(0, 2)].repeat(int(1, 3))).join('')}'`,
    }),
    () => ({
      code: `def shift(c, k):\n    return chr((ord(c) - 97 + k) % 26 + 97)\n\ndef f(s):\n    return ''.join(shift(c, ${int(1, 25)}) for c in s)`,
      input: `'${word(int(5, 12))}'`,
    }),
    () => ({
      code: 'def f(m):\n    return [list(row) for row in zip(*m)]',
      input: `[${Array.from({ length: int(2, 4) }, () => ints(3)).join(', ')}]`,
    }),
    () => ({
      code: 'def f(xs):\n    seen = []\n    for x in xs:\n        if x not in seen:\n            seen.append(x)\n    return seen',
      input: `[${Array.from({ length: int(5, 12) }, () => int(0, 5)).join(', ')}]`,
    }),
    () => ({
      code: `from collections import Counter\n\ndef f(text):\n    return Counter(text.split()).most_common(${int(1, 3)})`,
      input: `'${Array.from({ length: int(4, 10) }, () => ['a', 'b', 'c', 'd'][int(0, 3)]).join(' ')}'`,
    }),
    () => ({
      code: 'def f(n):\n    sieve = [True] * (n + 1)\n    sieve[0:2] = [False, False]\n    for i in range(2, int(n ** 0.5) + 1):\n        if sieve[i]:\n            for j in range(i * i, n + 1, i):\n                sieve[j] = False\n    return [i for i, p in enumerate(sieve) if p][-5:]',
      input: String(int(30, 200)),
    }),
    () => ({ code: 'def f(n):\n    return bin(n), hex(n), n.bit_length()', input: String(int(1, 100000)) }),
    () => ({
      code: 'def f(a, b):\n    return list(zip(a, b))',
      input: `'${word(int(3, 6))}', ${ints(int(3, 6))}`,
    }),
    () => ({
      code: 'def f(a, b):\n    return sorted(set(a) & set(b)), sorted(set(a) ^ set(b))',
      input: `'${word(int(4, 9))}', '${word(int(4, 9))}'`,
    }),
    () => ({
      code: `def f(s):\n    return '-'.join(w.capitalize() for w in s.split('${'x'}'))`,
      input: `'${Array.from({ length: int(2, 5) }, () => word(int(1, 4))).join('x')}'`,
    }),
    () => ({
      code: `def f(t):\n    return t[${int(0, 2)}:] + t[:${int(0, 2)}], len(t)`,
      input: `(${Array.from({ length: int(3, 6) }, () => int(0, 9)).join(', ')},)`,
    }),
  ];
  return Array.from({ length: count }, (_, i) => templates[i % templates.length]());
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/** One executor under test: validates a program, answering the output repr (null when invalid). */
interface Executor {
  name: string;
  validate(program: Program): Promise<string | null>;
  close(): Promise<void>;
}

function sandboxedExecutor(): Executor {
  const pool = new PythonPool({ size: WORKERS });
  return {
    name: 'sandboxed pool (bubblewrap, ours)',
    validate: async (program) => (await validateOne(pool, program)).output,
    close: () => pool.close(),
  };
}

type BaselineMode = 'reference' | 'same-checks';

/** Drives bench/reference_executor.py over its stdin/stdout, one JSON line per job each way. */
async function baselineExecutor(mode: BaselineMode, name: string): Promise<Executor> {
  const script = fileURLToPath(new URL('./reference_executor.py', import.meta.url));
  const child = spawn('/usr/bin/python3', [script, String(WORKERS), mode], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { PYTHONHASHSEED: '0' },
  });
  const waiting = new Map<number, (output: string | null) => void>();
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const reply = JSON.parse(line);
    if (reply.id === null) return markReady();
    waiting.get(reply.id)?.(reply.valid ? reply.output : null);
    waiting.delete(reply.id);
  });
  await ready;
  let nextId = 0;
  return {
    name,
    validate: (program) =>
      new Promise((resolve) => {
        const id = nextId++;
        waiting.set(id, resolve);
        child.stdin!.write(`${JSON.stringify({ id, ...program })}\n`);
      }),
    close: async () => {
      child.stdin!.end();
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** Validations per second with every job submitted at once. */
async function throughput(executor: Executor, programs: Program[]): Promise<number> {
  const all = Array.from({ length: ROUNDS }, () => programs).flat();
  const started = performance.now();
  await Promise.all(all.map((program) => executor.validate(program)));
  return all.length / ((performance.now() - started) / 1000);
}

/** Latencies (ms, sorted) with one job in flight per worker. */
async function latencies(executor: Executor, programs: Program[]): Promise<number[]> {
  const samples: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (next < LATENCY_JOBS) {
        const program = programs[next++ % programs.length];
        const started = performance.now();
        await executor.validate(program);
        samples.push(performance.now() - started);
      }
    }),
  );
  return samples.sort((a, b) => a - b);
}

interface Figures {
  validationsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

const programs = makePrograms(PROGRAMS);
const executors = [
  sandboxedExecutor(),
  await baselineExecutor('reference', 'baseline: reference-style process pool'),
  await baselineExecutor('same-checks', 'baseline: our checks in a process pool'),
];
const outputs = await Promise.all(
  executors.map((executor) => Promise.all(programs.map((program) => executor.validate(program)))),
);
// One discarded run each (JIT, caches), then interleaved runs; the machine is shared, so keep medians.
for (const executor of executors) await throughput(executor, programs);
const runs: number[][] = executors.map(() => []);
for (let repeat = 0; repeat < REPEATS; repeat++) {
  for (const [index, executor] of executors.entries()) runs[index].push(await throughput(executor, programs));
}
const figures: Figures[] = [];
for (const [index, executor] of executors.entries()) {
  const sorted = await latencies(executor, programs);
  figures.push({
    validationsPerSecond: median(runs[index]),
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
  });
}
await Promise.all(executors.map((executor) => executor.close()));

const [sandboxed, reference, sameChecks] = figures;
const agree = outputs.every((list) => list.every((output, i) => output === outputs[0][i]));
const valid = outputs[0].filter((output) => output !== null).length;
const ratio = sandboxed.validationsPerSecond / reference.validationsPerSecond;
const ratioSameChecks = sandboxed.validationsPerSecond / sameChecks.validationsPerSecond;
const round = (value: number, digits = 1) => Number(value.toFixed(digits));

console.log(
  `executor bench: ${PROGRAMS} fixed programs (${valid} valid), ${WORKERS} workers; throughput: median of ` +
    `${REPEATS} interleaved runs of ${PROGRAMS * ROUNDS} validations; latency: ${LATENCY_JOBS} jobs, one in flight per worker`,
);
for (const [index, executor] of executors.entries()) {
  const { validationsPerSecond, p50Ms, p99Ms } = figures[index];
  console.log(
    `  ${executor.name.padEnd(40)} ${String(round(validationsPerSecond, 0)).padStart(6)} validations/s   ` +
      `latency p50 ${round(p50Ms, 2)} ms  p99 ${round(p99Ms, 2)} ms   (runs: ${runs[index].map((run) => round(run, 0)).join(', ')})`,
  );
}
console.log(
  `  ratio vs reference-style ${round(ratio, 2)}×, vs our checks unsandboxed ${round(ratioSameChecks, 2)}×`,
);
console.log(`  outputs agree: ${agree}`);
console.log(
  JSON.stringify({
    bench: 'executor',
    programs: PROGRAMS,
    validPrograms: valid,
    workers: WORKERS,
    validationsPerRun: PROGRAMS * ROUNDS,
    runs: REPEATS,
    sandboxedPerSecond: round(sandboxed.validationsPerSecond, 0),
    sandboxedP50Ms: round(sandboxed.p50Ms, 3),
    sandboxedP99Ms: round(sandboxed.p99Ms, 3),
    referencePerSecond: round(reference.validationsPerSecond, 0),
    referenceP50Ms: round(reference.p50Ms, 3),
    referenceP99Ms: round(reference.p99Ms, 3),
    sameChecksPerSecond: round(sameChecks.validationsPerSecond, 0),
    sameChecksP50Ms: round(sameChecks.p50Ms, 3),
    sameChecksP99Ms: round(sameChecks.p99Ms, 3),
    ratio: round(ratio, 2),
    ratioSameChecks: round(ratioSameChecks, 2),
    outputsAgree: agree,
  }),
);
