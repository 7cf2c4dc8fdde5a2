import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { chars, Grammar, GrammarConstraint, lit, nt, Rules } from '../plugins/tiny-python/grammar.ts';
import { parseTinyProposal } from '../plugins/tiny-python/index.ts';
import { inputAnswerGrammar, proposalGrammar, valueAnswerGrammar } from '../plugins/tiny-python/subset.ts';
import { createRng } from '../src/runtime/index.ts';
import type { PromptSpec, Task, TextConstraint } from '../src/plugins/index.ts';
import { constrainedTinyPython, randomCharPolicy } from './helpers/policy.ts';

/** Checks every item with Python's ast in one /usr/bin/python3 call; returns the failures. */
function pythonCheck(items: { code?: string; literal?: string }[]): string[] {
  const script = `
import ast, json, sys
failures = []
for item in json.load(sys.stdin):
    try:
        if 'code' in item:
            tree = ast.parse(item['code'])
            if not any(isinstance(n, ast.FunctionDef) and n.name == 'f' for n in tree.body):
                raise ValueError('no f')
        if 'literal' in item:
            ast.literal_eval(ast.parse(item['literal'], mode='eval'))
    except Exception as error:
        failures.append(json.dumps(item) + ': ' + repr(error))
print(json.dumps(failures))
`;
  const out = execFileSync('/usr/bin/python3', ['-c', script], {
    input: JSON.stringify(items),
    maxBuffer: 64 << 20,
  });
  return JSON.parse(out.toString()) as string[];
}

/** Drives a constraint char by char: every character must be allowed, and nothing may follow the text. */
function drive(constraint: TextConstraint, text: string): string | null {
  for (let i = 0; i < text.length; i++) {
    const allowed = constraint.allowedNext(text.slice(0, i));
    if (!allowed.includes(text[i]!))
      return `${JSON.stringify(text[i])} not allowed after ${JSON.stringify(text.slice(0, i))}`;
  }
  const after = constraint.allowedNext(text);
  return after.length === 0 ? null : `does not end: ${JSON.stringify(after)} may follow`;
}

test('the grammar accepts the identity seed, its reference layout, and rejects what is not in the subset', () => {
  const [deduction] = constrainedTinyPython();
  const seed = deduction!.seedTasks()[0]!;
  const completion = `${seed.input}\n# program\n${seed.code}\n# output`;
  assert.equal(drive(deduction!.constraint!('proposer')!, completion), null);
  const parsed = parseTinyProposal(completion.slice(0, -'# output'.length));
  assert.deepEqual(parsed, { ok: true, value: { code: seed.code, input: seed.input } });
  const g = proposalGrammar();
  assert.ok(!g.accepts("'abc'\n# program\ndef f(x):\n    return x.upper(\n# output"));
  assert.ok(!g.accepts('5\n# program\ndef f(x):\n    return x.upper()\n# output'), 'string method on an int');
  assert.ok(!g.accepts('5\n# program\ndef f(x):\n    return x // 0\n# output'), 'division by zero');
  assert.ok(g.accepts('[3, 1]\n# program\ndef f(x):\n    return [e * 2 for e in x if e > 1]\n# output'));
  assert.ok(!g.accepts('[3, 1]\n# program\ndef f(x):\n    return x\n# output', 20), 'over the budget');
  assert.ok(valueAnswerGrammar().accepts("[1, -2, 'A b', True]\n"));
  assert.ok(inputAnswerGrammar('list').accepts('[1, -20]\n'));
  assert.ok(!inputAnswerGrammar('list').accepts('[01]\n'), 'no leading zeros');
});

test('10,000 grammar-constrained proposals of an untrained model all parse (Python ast), and so do its answers', async () => {
  const shape = { dModel: 16, nLayers: 1, nHeads: 2, ffnHidden: 16, maxSeqLen: 256, tieEmbeddings: true };
  const policy = await randomCharPolicy('wasm', shape, 5);
  const [deduction, abduction] = constrainedTinyPython();
  const sampling = { temperature: 1, topP: 1, maxTokens: 128 };
  const prompt = deduction!.proposerPrompt(deduction!.seedTasks());
  const constraint = deduction!.constraint!('proposer')!;
  const items: { code?: string; literal?: string }[] = [];
  const completions: string[] = [];
  for (let batch = 0; batch < 5; batch++) {
    for (const g of policy.generate([prompt], 2000, sampling, 100 + batch, [constraint])) {
      completions.push(g.completion);
      const parsed = parseTinyProposal(g.completion);
      assert.ok(parsed.ok, `${JSON.stringify(g.completion)}: ${JSON.stringify(parsed)}`);
      assert.ok('input' in parsed.value);
      items.push({ code: parsed.value.code, literal: parsed.value.input });
    }
  }
  assert.equal(items.length, 10000);
  // Answers: outputs for deduction, inputs of each type for abduction.
  const task = (input: string): Task => ({
    id: 'a',
    mode: 'abduction',
    code: 'def f(x):\n    return x',
    input,
    output: input,
    step: 1,
  });
  const answerPrompts: [PromptSpec, TextConstraint][] = [
    [deduction!.solverPrompt(task('5')), deduction!.constraint!('solver', task('5'))!],
    ...['-3', "'ab'", '[1, 2]'].map((input): [PromptSpec, TextConstraint] => [
      abduction!.solverPrompt(task(input)),
      abduction!.constraint!('solver', task(input))!,
    ]),
  ];
  let answers = 0;
  for (const g of policy.generate(
    answerPrompts.map(([p]) => p),
    250,
    { temperature: 1, topP: 1, maxTokens: 32 },
    7,
    answerPrompts.map(([, c]) => c),
  )) {
    assert.ok(g.completion.length > 0 && !g.completion.includes('\n'), JSON.stringify(g.completion));
    items.push({ literal: g.completion });
    answers++;
  }
  policy.dispose();
  assert.deepEqual(pythonCheck(items).slice(0, 5), []);
  const distinct = new Set(completions).size;
  const byType = { int: 0, str: 0, list: 0 };
  for (const c of completions) byType[c[0] === "'" ? 'str' : c[0] === '[' ? 'list' : 'int']++;
  console.log(
    `# ${completions.length} proposals (${distinct} distinct, inputs ${JSON.stringify(byType)}, ` +
      `mean ${Math.round(completions.reduce((s, c) => s + c.length, 0) / completions.length)} chars) ` +
      `and ${answers} answers parse`,
  );
});

test('a constraint over the subset grammar keeps its cache bounded and answers from any prefix', () => {
  const c = new GrammarConstraint(proposalGrammar(), 128, 0, undefined, 10);
  const text = "'abc'\n# program\ndef f(x):\n    return x[::-1]\n# output";
  assert.equal(drive(c, text), null);
  assert.deepEqual(c.allowedNext('zzz'), [], 'a rejected prefix allows nothing');
  assert.ok(c.allowedNext(text.slice(0, 20)).length > 0);
});

test("the grammar prior is random derivation's next-character distribution", () => {
  // S → 'a' S 'b' (weight 1) | 'c' (weight 3) | one of 'xyz' (weight 1); T → 'p' 'q' | 'p' 'r' (ambiguous prefix).
  const rules = new Rules();
  rules.define('S', [
    { syms: [lit('a'), nt('S'), lit('b')], weight: 1 },
    { syms: [lit('c')], weight: 3 },
    { syms: [chars('xyz')], weight: 1 },
  ]);
  rules.define('T', [[lit('p'), lit('q')], [lit('pr')]]);
  const grammar = new Grammar(rules, 'S');
  const near = (actual: readonly number[], expected: number[]) =>
    assert.ok(
      actual.every((p, i) => Math.abs(p - expected[i]!) < 1e-9),
      `${actual.join(', ')} ≠ ${expected.join(', ')}`,
    );
  const start = grammar.initial();
  assert.deepEqual(start.allowed, ['a', 'c', 'x', 'y', 'z']);
  near(start.prior, [0.2, 0.6, 0.2 / 3, 0.2 / 3, 0.2 / 3]);
  near(grammar.read('aa').prior, [0.2, 0.6, 0.2 / 3, 0.2 / 3, 0.2 / 3]);
  near(grammar.read('aac').prior, [1]);
  // A budget prunes parses that could not finish in time, and the rest is renormalised.
  near(grammar.read('a', 3).prior, [0.6 / 0.8, 0.2 / 3 / 0.8, 0.2 / 3 / 0.8, 0.2 / 3 / 0.8]);
  const ambiguous = new Grammar(rules, 'T');
  near(ambiguous.read('p').prior, [0.5, 0.5]);

  // On the subset: the prior of the first two characters matches what derive writes (20,000 derivations).
  const subset = proposalGrammar();
  const rng = createRng('prior');
  const random = () => rng.next();
  const counts = new Map<string, number>();
  const n = 20_000;
  for (let i = 0; i < n; i++) {
    const first = subset.derive(random, 10_000).text[0]!;
    counts.set(first, (counts.get(first) ?? 0) + 1);
  }
  const initial = subset.initial();
  initial.allowed.forEach((c, i) => {
    const observed = (counts.get(c) ?? 0) / n;
    assert.ok(
      Math.abs(observed - initial.prior[i]!) < 0.015,
      `${c}: derive ${observed}, prior ${initial.prior[i]}`,
    );
  });
  assert.equal([...counts.keys()].filter((c) => !initial.allowed.includes(c)).length, 0);
});

test('a constraint with a prior weight biases by w · log(prior); without one it has no bias', () => {
  const weighted = new GrammarConstraint(proposalGrammar(), 128, 2);
  const state = proposalGrammar().initial(128);
  const bias = weighted.bias!('');
  assert.deepEqual(weighted.allowedNext(''), state.allowed);
  state.prior.forEach((p, i) => {
    assert.ok(Math.abs(bias[i]! - 2 * Math.log(p)) < 1e-9);
  });
  assert.equal(new GrammarConstraint(proposalGrammar(), 128).bias, undefined);
});

test('maxProgramChars: every program of a 16-input proposal fits it, the inputs still take what they need', async () => {
  const { tinyPythonModes } = await import('../plugins/tiny-python/index.ts');
  const { walkGrammar } = await import('../src/plugins/index.ts');
  const options = {
    references: 0,
    maxProposalTokens: 360,
    maxAnswerTokens: 32,
    constrain: true,
    requireInputUse: false,
  };
  const lengths = (maxProgramChars?: number) => {
    const [deduction] = tinyPythonModes({
      ...options,
      inputsPerProposal: 16,
      grammarPrior: 1,
      maxProgramChars,
    });
    const constraint = deduction!.constraint!('proposer')!;
    const rng = createRng('program-chars');
    return Array.from({ length: 60 }, () => {
      const text = walkGrammar(constraint, () => rng.next(), 360);
      assert.deepEqual(constraint.allowedNext(text), [], 'the walk is a complete proposal');
      const parsed = parseTinyProposal(text.replace(/# output$/, ''), 16);
      assert.ok(parsed.ok, JSON.stringify(text));
      return (parsed.value as { code: string }).code.length;
    });
  };
  const capped = lengths(48);
  assert.ok(Math.max(...capped) <= 48, `longest ${Math.max(...capped)}`);
  assert.ok(Math.max(...lengths()) > 48, 'without the limit some programs are longer');
});
