// Writes examples/heldout/tiny-python.jsonl: the tiny-python held-out set. No network and no human-written answers:
// programs and inputs are random derivations of the tiny-python grammar (seeded), outputs are computed by the real
// executor (validate, in the bubblewrap sandbox). Graded by what the derivation used: 1 = one operation, 2 = two,
// 3 = a conditional, comprehension or loop (at most four operations). Deduplicated by program, outputs de-skewed (each
// output value at most MAX_PER_OUTPUT times), balanced by difficulty and input type. Same seed → same file.
//   node --import tsx bench/tools/heldout.ts [--seed 7] [--per-level 80] [--out FILE]
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseTinyProposal } from '../../plugins/tiny-python/index.ts';
import { inputType, PROPOSAL_END, proposalGrammar } from '../../plugins/tiny-python/subset.ts';
import { PythonPool, validate } from '../../src/executor/index.ts';
import { mulberry32 } from './mulberry32.ts';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '7' },
    'per-level': { type: 'string', default: '80' },
    out: {
      type: 'string',
      default: fileURLToPath(new URL('../../examples/heldout/tiny-python.jsonl', import.meta.url)),
    },
  },
});
const seed = Number(values.seed);
const perLevel = Number(values['per-level']);
/** Longest proposal (input + program) and output repr: what tiny-zero's budgets leave room for. */
const BUDGET = 112;
const MAX_OUTPUT = 20;
const MAX_PER_OUTPUT = 4;
const CANDIDATES = 60000;

function difficulty(tags: Record<string, number>): number | undefined {
  const ops = (tags.op ?? 0) + (tags.cmp ?? 0);
  const structure = (tags.if ?? 0) + (tags.comp ?? 0) + (tags.loop ?? 0);
  if (tags.assign) return undefined;
  if (structure === 0) return ops === 1 ? 1 : ops === 2 ? 2 : undefined;
  return structure === 1 && ops <= 4 ? 3 : undefined;
}

/** 'aB c' → 'abyc': letters lowercased, spaces made letters (deterministically). */
function lowercase(literal: string): string {
  return literal.replace(/[A-Z ]/g, (c) => (c === ' ' ? 'y' : c.toLowerCase()));
}

/**
 * Programs worth asking about: the body reads x; a loop's body reads e and the return reads y; a condition reads x.
 * (The grammar allows dead code — fine for proposals, a waste in a 200-item test set.)
 */
function sensible(code: string, level: number): boolean {
  const lines = code.split('\n').slice(1);
  if (!/\bx\b/.test(lines.join('\n'))) return false;
  if (level < 3) return true;
  if (code.includes('for e in x:')) return /\be\b/.test(lines[2]!) && /\by\b/.test(lines[3]!);
  if (lines[0]!.startsWith('    if ')) return /\bx\b/.test(lines[0]!);
  // A comprehension's element reads e.
  const at = code.indexOf(' for e in ');
  return at < 0 || /\be\b/.test(code.slice(code.lastIndexOf('[', at), at));
}

const random = mulberry32(seed);
const grammar = proposalGrammar();
const candidates: { code: string; input: string; difficulty: number }[] = [];
const seenCode = new Set<string>();
for (let i = 0; i < CANDIDATES; i++) {
  const { text, tags } = grammar.derive(random, BUDGET);
  const level = difficulty(tags);
  if (level === undefined) continue;
  const parsed = parseTinyProposal(text.slice(0, -PROPOSAL_END.length));
  if (!parsed.ok || !('input' in parsed.value)) throw new Error(`derivation does not parse: ${text}`);
  const { code } = parsed.value;
  // Lowercase string inputs (the grammar also allows capitals and spaces, for the 'Hello World' seed).
  const input = inputType(parsed.value.input) === 'str' ? lowercase(parsed.value.input) : parsed.value.input;
  if (!sensible(code, level) || seenCode.has(code)) continue;
  seenCode.add(code);
  candidates.push({ code, input, difficulty: level });
}

const pool = new PythonPool({ size: 4 });
const results = await validate(pool, candidates);
await pool.close();

const items: { id: string; code: string; input: string; output: string; difficulty: number }[] = [];
const perOutput = new Map<string, number>();
const perCell = new Map<string, number>();
const perType = Math.ceil(perLevel / 3);
candidates.forEach((c, i) => {
  const r = results[i]!;
  if (!r.valid || r.output === null || r.output.length > MAX_OUTPUT) return;
  // Not the input itself: the identity baseline would answer it.
  if (r.output === c.input) return;
  const cell = `${c.difficulty}/${inputType(c.input)}`;
  const level = items.filter((it) => it.difficulty === c.difficulty).length;
  if (level >= perLevel || (perCell.get(cell) ?? 0) >= perType) return;
  if ((perOutput.get(r.output) ?? 0) >= MAX_PER_OUTPUT) return;
  perOutput.set(r.output, (perOutput.get(r.output) ?? 0) + 1);
  perCell.set(cell, (perCell.get(cell) ?? 0) + 1);
  items.push({ id: '', code: c.code, input: c.input, output: r.output, difficulty: c.difficulty });
});
items.sort((a, b) => a.difficulty - b.difficulty);
items.forEach((item, i) => {
  item.id = `tp-${String(i + 1).padStart(4, '0')}`;
});
writeFileSync(values.out, items.map((item) => JSON.stringify(item)).join('\n') + '\n');

const count = (key: (it: (typeof items)[number]) => string) => {
  const m: Record<string, number> = {};
  for (const it of items) m[key(it)] = (m[key(it)] ?? 0) + 1;
  return m;
};
const outputs = Object.entries(count((it) => it.output)).sort((a, b) => b[1] - a[1]);
const kinds = count((it) =>
  /^-?\d+$/.test(it.output) ? 'int' : it.output[0] === "'" ? 'str' : it.output[0] === '[' ? 'list' : 'bool',
);
console.log(
  `${candidates.length} candidate programs (of ${CANDIDATES} derivations), ` +
    `${results.filter((r) => r.valid).length} valid; wrote ${items.length} items to ${values.out}`,
);
console.log(`difficulty: ${JSON.stringify(count((it) => String(it.difficulty)))}`);
console.log(`input types: ${JSON.stringify(count((it) => inputType(it.input) ?? '?'))}`);
console.log(`output types: ${JSON.stringify(kinds)}`);
console.log(`distinct outputs: ${outputs.length}; most common: ${JSON.stringify(outputs.slice(0, 8))}`);
