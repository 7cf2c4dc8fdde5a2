// How the tasks a run proposed changed over training: for each task mode, the buffered tasks of the run's last
// checkpoint grouped by the step that proposed them (25 steps a group), with their mean length (characters, lines),
// a rough count of operations, the share with a conditional or loop, the share whose body never reads x (constant
// functions), and the share with an int input.
//   node --import tsx examples/analysis/program-complexity.ts RUN_DIR
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decode } from 'azr';

interface BufferedTask {
  code: string;
  input: string;
  step: number;
}

const runDir = process.argv[2];
if (!runDir) {
  console.error('usage: node --import tsx examples/analysis/program-complexity.ts RUN_DIR');
  process.exit(2);
}
const steps = (await readdir(join(runDir, 'checkpoints'))).map((d) => Number(d.slice('step-'.length)));
const last = Math.max(...steps);
const state = decode<Record<string, { tasks?: BufferedTask[]; mode?: string }>>(
  await readFile(join(runDir, 'checkpoints', `step-${last}`, 'state.msgpack')),
);

const body = (code: string) => code.split('\n').slice(1).join('\n');
const measures: [string, (t: BufferedTask) => number][] = [
  ['characters', (t) => t.code.length],
  ['lines', (t) => t.code.split('\n').length],
  [
    'operations',
    (t) =>
      (t.code.match(/[-+*%<>=]=?|\/\/|\.\w+\(|\b(len|abs|str|sorted|sum|min|max|int)\(|\[[^\]]*:/g) ?? [])
        .length,
  ],
  ['if/for', (t) => (/\b(if|for)\b/.test(body(t.code)) ? 1 : 0)],
  ['ignores x', (t) => (/\bx\b/.test(body(t.code).replace(/'(?:[^'\\\n]|\\.)*'/g, "''")) ? 0 : 1)],
  ['int input', (t) => (/^-?\d+$/.test(t.input) ? 1 : 0)],
];

console.log(['mode', 'steps', 'tasks', ...measures.map(([name]) => name)].join('\t'));
for (const [name, snapshot] of Object.entries(state)) {
  if (!name.startsWith('buffer-') || !snapshot.tasks) continue;
  const groups = new Map<string, BufferedTask[]>();
  for (const task of snapshot.tasks) {
    const from = Math.floor((task.step - 1) / 25) * 25 + 1;
    const label = task.step === 0 ? 'seed' : `${from}-${from + 24}`;
    groups.set(label, [...(groups.get(label) ?? []), task]);
  }
  for (const [label, tasks] of groups) {
    const means = measures.map(([, f]) => (tasks.reduce((s, t) => s + f(t), 0) / tasks.length).toFixed(2));
    console.log([name.slice('buffer-'.length), label, tasks.length, ...means].join('\t'));
  }
}
