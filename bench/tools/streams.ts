// Labelled deduction streams for the supervised bench (`npm run bench -- supervised --data FILE`) with k inputs per
// program: what the curve needs from self-play's data (docs/learning.md, "What data the curve needs"). Programs are
// random derivations of the tiny-python proposal grammar with k inputs, within BUDGET characters, graded like the
// held-out set (≤ MAX_LEVEL; 9 = any), that read x and are not held-out programs; every valid (program, input) pair
// is an example, labelled by the sandboxed executor, no output more than ~4 per 1,000 examples, shuffled within each
// batch of 200 derivations. Same arguments → same file.
//   node --import tsx bench/tools/streams.ts K BUDGET MAX_LEVEL COUNT OUT
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadHeldout } from '../../plugins/tiny-python/heldout.ts';
import { parseTinyProposal, readsInput } from '../../plugins/tiny-python/index.ts';
import { PROPOSAL_END, proposalGrammar } from '../../plugins/tiny-python/subset.ts';
import { PythonPool, validate } from '../../src/executor/index.ts';
import { createRng } from '../../src/runtime/index.ts';

/** The held-out set's grading of a derivation (bench/tools/heldout.ts), loosened to "at most": 9 = ungraded. */
export function derivationLevel(tags: Record<string, number>): number {
  const ops = (tags.op ?? 0) + (tags.cmp ?? 0);
  const structure = (tags.if ?? 0) + (tags.comp ?? 0) + (tags.loop ?? 0);
  if (tags.assign) return 9;
  return structure === 0 ? ops : 2 + structure + Math.max(0, ops - 4);
}

type Example = { code: string; input: string; output: string };

async function main(): Promise<void> {
  const [k, budget, maxLevel, count] = process.argv.slice(2, 6).map(Number) as [
    number,
    number,
    number,
    number,
  ];
  const out = process.argv[6];
  if (!out || ![k, budget, maxLevel, count].every(Number.isFinite))
    throw new Error('usage: node --import tsx bench/tools/streams.ts K BUDGET MAX_LEVEL COUNT OUT');
  const heldout = loadHeldout(new URL('../../examples/heldout/tiny-python.jsonl', import.meta.url));
  const held = new Set(heldout.map((h) => h.code));
  const rng = createRng(`streams-${k}-${budget}`);
  const random = () => rng.next();
  const grammar = proposalGrammar(k);
  const pool = new PythonPool({ size: 2 });
  const data: Example[] = [];
  const perOutput = new Map<string, number>();
  let programs = 0;
  let chars = 0;
  try {
    while (data.length < count) {
      const batch: { code: string; input: string }[] = [];
      for (let i = 0; i < 200; i++) {
        const { text, tags } = grammar.derive(random, budget);
        if (derivationLevel(tags) > maxLevel) continue;
        const parsed = parseTinyProposal(text.slice(0, -PROPOSAL_END.length), k);
        if (!parsed.ok) continue;
        const { code, input, inputs } = parsed.value as { code: string; input?: string; inputs?: string[] };
        if (held.has(code) || !readsInput(code)) continue;
        programs++;
        chars += code.length;
        for (const one of inputs ?? [input!]) batch.push({ code, input: one });
      }
      const labelled: Example[] = [];
      (await validate(pool, batch)).forEach((r, i) => {
        if (!r.valid || r.output === null || r.output.length > 30) return;
        const seen = perOutput.get(r.output) ?? 0;
        if (seen >= 4 * (1 + data.length / 1000)) return;
        perOutput.set(r.output, seen + 1);
        labelled.push({ ...batch[i]!, output: r.output });
      });
      for (let i = labelled.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [labelled[i], labelled[j]] = [labelled[j]!, labelled[i]!];
      }
      data.push(...labelled);
    }
  } finally {
    await pool.close();
  }
  writeFileSync(out, `${data.map((d) => JSON.stringify(d)).join('\n')}\n`);
  const distinct = new Set(data.map((d) => d.code)).size;
  console.log(
    `${out}: ${data.length} examples, ${distinct} distinct programs, mean program ${(chars / programs).toFixed(0)} characters`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
