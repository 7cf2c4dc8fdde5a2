// `npm run bench -- cruxeval --file PATH`: AZR validation (docs/azr.md §3) of CRUXEval's programs, the public benchmark
// of {id, code, input, output} lines. Every item is validated by the executor the validator actor runs (`validate`,
// default options: inputs as Python expressions); its output then counts as a match when it equals the dataset's
// output as a value, compared in the sandbox (a deduction check, docs/azr.md §1). Prints the failures with their
// reasons, the figures, and as its last line one JSON object with them.
// Options: --file PATH (CRUXEval's data/cruxeval.jsonl; examples/cruxeval-mini.jsonl is a small sample),
// --expressions python|literals (default python), --workers N (default 2).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type ExpressionMode, PythonPool, validate, verify } from '../src/executor/index.ts';
import { AzrError } from '../src/errors.ts';

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    file: { type: 'string' },
    expressions: { type: 'string', default: 'python' },
    workers: { type: 'string', default: '2' },
  },
});
if (!values.file) throw new AzrError('USAGE', 'usage: npm run bench -- cruxeval --file PATH');
const expressions = values.expressions as ExpressionMode;

interface Item {
  id: string;
  code: string;
  input: string;
  output: string;
}

const items: Item[] = readFileSync(values.file, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as Item);

const pool = new PythonPool({ size: Number(values.workers) });
const started = performance.now();
const verdicts = await validate(
  pool,
  items.map(({ code, input }) => ({ code, input })),
  { expressions },
);
const valid = items.flatMap((item, i) =>
  verdicts[i]!.valid ? [{ item, output: verdicts[i]!.output! }] : [],
);
const checks = await verify(
  pool,
  valid.map(({ item, output }) => ({ type: 'deduction' as const, output, answer: item.output })),
  { expressions },
);
const seconds = (performance.now() - started) / 1000;
await pool.close();

const failures: { id: string; reason: string }[] = [];
items.forEach((item, i) => {
  const verdict = verdicts[i]!;
  if (!verdict.valid)
    failures.push({ id: item.id, reason: `invalid (${verdict.errorType}): ${verdict.reason}` });
});
valid.forEach(({ item, output }, k) => {
  if (!checks[k]!.correct)
    failures.push({ id: item.id, reason: `output ${output}, expected ${item.output}` });
});
const sameRepr = valid.filter(({ item, output }) => output === item.output).length;
const matched = items.length - failures.length;

for (const { id, reason } of failures) console.log(`${id}: ${reason}`);
console.log(
  `${values.file}: ${matched} of ${items.length} outputs reproduced (${valid.length} valid, ${sameRepr} with the ` +
    `same repr), expressions ${expressions}, ${seconds.toFixed(1)} s`,
);
console.log(
  JSON.stringify({
    items: items.length,
    valid: valid.length,
    matched,
    sameRepr,
    failed: failures.length,
    expressions,
    seconds: Number(seconds.toFixed(2)),
  }),
);
