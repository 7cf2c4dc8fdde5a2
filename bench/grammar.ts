// `npm run bench -- grammar`: the cost of tiny-python's grammar constraint and what it buys.
// 1. Cost: the tiny-zero model (random weights, wasm backend) samples proposals with the constraint; every
//    allowedNext call is timed. Figures: µs per call, and the mask's share of sampling time in the same run
//    (mask ms / sampling ms), next to the same sampling without a constraint.
// 2. Validity: those proposals go through the real executor (validate): the share that parses (always, by
//    construction) and the share that runs (valid proposals), with the failure types.
// Options: --rows N (default 500), --backend wasm|cpu.
import { parseArgs } from 'node:util';
import { proposalGrammar } from '../plugins/tiny-python/subset.ts';
import { PythonPool, validate } from '../src/executor/index.ts';
import type { TextConstraint } from '../src/plugins/index.ts';
import { constrainedTinyPython, randomCharPolicy } from '../tests/helpers/policy.ts';

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: { rows: { type: 'string', default: '500' }, backend: { type: 'string', default: 'wasm' } },
});
const rows = Number(values.rows);
const backend = values.backend as 'wasm' | 'cpu';

// examples/tiny-zero.yaml's model.
const shape = { dModel: 64, nLayers: 2, nHeads: 4, ffnHidden: 192, maxSeqLen: 384, tieEmbeddings: true };
const policy = await randomCharPolicy(backend, shape, 1);

const maxProposalTokens = 128;
const [deduction] = constrainedTinyPython(maxProposalTokens);
const prompt = deduction!.proposerPrompt(deduction!.seedTasks());
const constraint = deduction!.constraint!('proposer')!;
let maskMs = 0;
let calls = 0;
const timed: TextConstraint = {
  allowedNext(prefix) {
    const t = performance.now();
    const allowed = constraint.allowedNext(prefix);
    maskMs += performance.now() - t;
    calls++;
    return allowed;
  },
};
const sampling = { temperature: 1, topP: 1, maxTokens: maxProposalTokens };

// Warm-up (backend kernels, grammar construction).
policy.generate([prompt], 8, sampling, 0, [timed]);
maskMs = 0;
calls = 0;

let t = performance.now();
const generations = policy.generate([prompt], rows, sampling, 1, [timed]);
const constrainedMs = performance.now() - t;
const tokens = generations.reduce((sum, g) => sum + g.responseIds.length, 0);
t = performance.now();
const free = policy.generate([prompt], rows, sampling, 1);
const freeMs = performance.now() - t;
const freeTokens = free.reduce((sum, g) => sum + g.responseIds.length, 0);
policy.dispose();

const usPerCall = (maskMs * 1000) / calls;
const maskShare = maskMs / constrainedMs;
console.log(
  `grammar: ${proposalGrammar().size} nonterminals, most live parses in one state ${proposalGrammar().maxThreads}`,
);
console.log(
  `constrained sampling (${backend}, tiny-zero model, ${rows} rows): ${constrainedMs.toFixed(0)} ms for ${tokens} tokens ` +
    `(${((constrainedMs * 1000) / tokens).toFixed(1)} µs/token)`,
);
console.log(
  `  mask: ${calls} allowedNext calls, ${maskMs.toFixed(0)} ms, ${usPerCall.toFixed(2)} µs/call, ` +
    `${(100 * maskShare).toFixed(1)}% of sampling time`,
);
console.log(
  `unconstrained sampling, same prompt: ${freeMs.toFixed(0)} ms for ${freeTokens} tokens ` +
    `(${((freeMs * 1000) / freeTokens).toFixed(1)} µs/token)`,
);

const proposals = generations.map((g) => deduction!.parseProposal(g.completion));
const parsed = proposals.filter((p) => p.ok).map((p) => p.value);
const pool = new PythonPool({ size: 4 });
const results = await validate(pool, parsed);
await pool.close();
const valid = results.filter((r) => r.valid).length;
const errors: Record<string, number> = {};
for (const r of results) if (!r.valid) errors[r.errorType ?? '?'] = (errors[r.errorType ?? '?'] ?? 0) + 1;
const byType: Record<string, [number, number]> = {};
parsed.forEach((p, i) => {
  const type = 'input' in p ? (p.input[0] === "'" ? 'str' : p.input[0] === '[' ? 'list' : 'int') : '?';
  byType[type] ??= [0, 0];
  byType[type][0]++;
  if (results[i]!.valid) byType[type][1]++;
});
const outputs = new Map<string, number>();
for (const r of results) if (r.valid) outputs.set(r.output!, (outputs.get(r.output!) ?? 0) + 1);
const topOutputs = [...outputs].sort((a, b) => b[1] - a[1]).slice(0, 5);
console.log(
  `executor: ${parsed.length}/${rows} proposals parse, ${valid} valid (${((100 * valid) / rows).toFixed(1)}%)`,
);
console.log(`  failures: ${JSON.stringify(errors)}`);
console.log(`  by input type [proposals, valid]: ${JSON.stringify(byType)}`);
console.log(`  most common outputs: ${JSON.stringify(topOutputs)}`);
console.log(
  JSON.stringify({
    rows,
    backend,
    maskUsPerCall: +usPerCall.toFixed(3),
    maskMs: +maskMs.toFixed(1),
    samplingMs: +constrainedMs.toFixed(1),
    maskShare: +maskShare.toFixed(4),
    unconstrainedMs: +freeMs.toFixed(1),
    parseRate: parsed.length / rows,
    validRate: valid / rows,
    failures: errors,
    byType,
  }),
);
