import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import javascript, { checkJs, JsPool, validateJsOne } from '../plugins/javascript/index.ts';
import {
  loadPlugins,
  type PromptFormat,
  renderSections,
  type Task,
  type TaskMode,
} from '../src/plugins/index.ts';

const pool = new JsPool({ size: 2 });
after(() => pool.close());

async function modes(format: PromptFormat): Promise<Map<string, TaskMode>> {
  return (await loadPlugins([{ use: 'javascript', options: { format } }], { builtins: { javascript } }))
    .modes;
}

/** What a perfect proposer would write, in the given format. */
function proposalCompletion(code: string, input: string, format: PromptFormat): string {
  const text = renderSections([
    ['program', code],
    ['input', input],
  ]);
  if (format === 'think-answer') return `<think>Something with strings.</think>\n<answer>\n${text}</answer>`;
  return text.slice(text.indexOf('\n') + 1); // the prompt already began "# program"
}

function answerCompletion(mode: string, answer: string, format: PromptFormat): string {
  const name = mode === 'js-deduction' ? 'output' : 'input';
  return format === 'think-answer'
    ? `<think>Run it in my head.</think><answer>\n# ${name}\n${answer}\n`
    : answer;
}

const proposals: Record<string, { code: string; input: string; output: string }> = {
  'js-deduction': {
    code: "function f(s, n) {\n  return { word: s.split('').reverse().join(''), n: n * 2 };\n}",
    input: "'abc', 21",
    output: '{"n":42,"word":"cba"}',
  },
  'js-abduction': {
    code: 'function f(xs) {\n  return xs.map((x) => x * x).filter((x) => x > 2);\n}',
    input: '[1, 2, 3]',
    output: '[4,9]',
  },
};

describe('JavaScript task modes', () => {
  test('the plugin gives js-deduction and js-abduction, each seeded with the identity task', async () => {
    const loaded = await modes('bare');
    assert.deepEqual([...loaded.keys()], ['js-deduction', 'js-abduction']);
    for (const mode of loaded.values()) {
      const [seed] = mode.seedTasks() as [Task];
      assert.equal(seed.code, 'function f(x) {\n  return x;\n}');
      assert.equal(seed.input, '"Hello World"');
      const result = await validateJsOne(pool, { code: seed.code, input: seed.input });
      assert.equal(result.output, seed.output, 'the seed is a valid task with its own output');
      assert.equal(mode.references, 6);
      assert.match(mode.proposerPrompt(mode.seedTasks()).text, /# program\nfunction f\(x\)/);
    }
  });

  for (const format of ['bare', 'think-answer'] as const) {
    test(`round trip in the ${format} format: proposal → valid → gold answer correct`, async () => {
      for (const [name, mode] of await modes(format)) {
        const { code, input, output } = proposals[name]!;
        const prompt = mode.proposerPrompt(mode.seedTasks());
        if (format === 'bare') assert.ok(prompt.text.endsWith('# program\n'));
        else assert.match(prompt.text, /JavaScript function f/);
        const parsed = mode.parseProposal(proposalCompletion(code, input, format));
        assert.ok(parsed.ok, `${name}: ${!parsed.ok && parsed.reason}`);
        assert.deepEqual(parsed.value, { code, input });
        const validated = await validateJsOne(pool, parsed.value as { code: string; input: string });
        assert.equal(validated.valid, true, validated.reason ?? '');
        assert.equal(validated.output, output);
        const task = mode.toTask(
          { proposal: parsed.value, output: validated.output, outputs: null },
          { id: 't1', step: 3 },
        );
        assert.deepEqual(task, { id: 't1', mode: name, code, input, output, step: 3 });
        const solverPrompt = mode.solverPrompt(task);
        assert.ok(solverPrompt.text.includes(code));
        const gold = mode.goldAnswer!(task);
        const answer = mode.parseAnswer(answerCompletion(name, gold, format));
        assert.ok(answer.ok);
        assert.equal(answer.value, gold);
        const check = mode.check(task, answer.value);
        assert.equal(check.type, name === 'js-deduction' ? 'deduction' : 'abduction');
        const verdict = await checkJs(pool, task, answer.value);
        assert.deepEqual([verdict.correct, verdict.malformed], [true, false], verdict.reason ?? '');
      }
    });
  }

  test('checkJs: correct, wrong and malformed answers', async () => {
    const loaded = await modes('bare');
    const deduction: Task = { id: 'd', mode: 'js-deduction', ...proposals['js-deduction']!, step: 1 };
    const abduction: Task = { id: 'a', mode: 'js-abduction', ...proposals['js-abduction']!, step: 1 };
    const cases: [Task, string, boolean, boolean][] = [
      [deduction, "{word: 'cba', n: 42.0}", true, false],
      [deduction, '{"n":42,"word":"abc"}', false, false],
      [deduction, '{n: 42, word: cba}', false, true],
      [abduction, '[-2, 1, 3]', true, false],
      [abduction, '[1]', false, false],
      [abduction, '[1, 2', false, true],
    ];
    for (const [task, answer, correct, malformed] of cases) {
      const parsed = loaded.get(task.mode)!.parseAnswer(answer);
      assert.ok(parsed.ok);
      const verdict = await checkJs(pool, task, parsed.value);
      assert.deepEqual([verdict.correct, verdict.malformed], [correct, malformed], `${task.mode} ${answer}`);
    }
    const other = await checkJs(pool, { ...deduction, mode: 'deduction' }, '1');
    assert.equal(other.errorType, 'MalformedTask');
  });

  test('format errors are reported, not thrown', async () => {
    const loaded = await modes('think-answer');
    const mode = loaded.get('js-deduction')!;
    assert.equal(mode.parseProposal('no answer block').ok, false);
    assert.equal(mode.parseProposal('<answer>\n# program\nfunction f() {}\n</answer>').ok, false);
    assert.equal(mode.parseAnswer('<think>hm</think>').ok, false);
    const bad = await loadPlugins([{ use: 'javascript', options: { format: 'xml' } }], {
      builtins: { javascript },
    }).then(
      () => null,
      (error: Error) => error,
    );
    assert.match(String(bad?.message), /javascript/);
  });
});
