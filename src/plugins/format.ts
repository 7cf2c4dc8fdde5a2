// Text layouts shared by the task modes. A task is written as named sections ("# program", "# input", …).
// Two formats wrap them: `bare`, for tiny models trained from scratch (the completion continues the prompt's
// sections), and `think-answer`, for LLMs (reasoning in <think>…</think>, the sections in <answer>…</answer>).
import type { Parsed, PromptSpec } from './api.ts';

export type PromptFormat = 'bare' | 'think-answer';
export const promptFormats: readonly PromptFormat[] = ['bare', 'think-answer'];

export type Section = [name: string, body: string];

/** Writes sections as `# name` headers, each followed by its body: the layout of prompts and answers. */
export function renderSections(sections: readonly Section[]): string {
  return sections.map(([name, body]) => `# ${name}\n${body.replace(/\n+$/, '')}\n`).join('');
}

/** Reads "# name" sections in order; text before the first header is ignored. */
export function readSections(text: string): Section[] {
  const sections: Section[] = [];
  let current: Section | undefined;
  for (const line of text.split('\n')) {
    const header = /^# ([a-z]+)\s*$/.exec(line);
    if (header) {
      current = [header[1]!, ''];
      sections.push(current);
    } else if (current) {
      current[1] += current[1] ? `\n${line}` : line;
    }
  }
  return sections.map(([name, body]) => [name, body.replace(/\s+$/, '')]);
}

/** The body of the first section called `name`, if any. */
export function section(sections: readonly Section[], name: string): string | undefined {
  return sections.find(([n]) => n === name)?.[1];
}

/**
 * How `think-answer` treats the reasoning before `<answer>` (docs/azr.md §1): `prefill` (the reference's) ends the
 * prompt with `<think>` and requires the completion to close it before `<answer>`; `require` asks the model to open
 * it too; `optional` reads only `<answer>` (before issue 16).
 */
export type ThinkRule = 'prefill' | 'require' | 'optional';
export const thinkRules: readonly ThinkRule[] = ['prefill', 'require', 'optional'];

/** A fenced block: its language tag (lower case, '' when none) and its body. */
export interface FencedBlock {
  lang: string;
  body: string;
}

/** The fenced blocks of `text` in order, as the reference reads them (tag case-insensitive, body trimmed). */
export function fencedBlocks(text: string): FencedBlock[] {
  const blocks: FencedBlock[] = [];
  for (const match of text.matchAll(/```[ \t]*([\w+-]*)[ \t]*\n([\s\S]*?)```/g))
    blocks.push({ lang: match[1]!.toLowerCase(), body: match[2]!.trim() });
  return blocks;
}

/** Whether a block is tagged `lang`; as in the reference, an untagged block counts as ```python. */
const tagged = (lang: string) => (block: FencedBlock) =>
  block.lang === lang || (lang === 'python' && block.lang === '');

/** The body of the first fenced block tagged `lang`, if any. */
export function firstBlock(text: string, lang: string): string | undefined {
  return fencedBlocks(text).find(tagged(lang))?.body;
}

/** The body of the last fenced block tagged `lang`, if any. */
export function lastBlock(text: string, lang: string): string | undefined {
  return fencedBlocks(text).filter(tagged(lang)).at(-1)?.body;
}

/**
 * A think-answer completion's reasoning and the body of its last `<answer>` (up to `</answer>` when present: the
 * generation stops there). Under `prefill` the completion continues the prompt's `<think>`; under `prefill` and
 * `require` a completion that does not close `<think>…</think>` right before `<answer>` is a format error, as in
 * the reference (docs/azr.md §1).
 */
export function thinkAnswer(
  completion: string,
  rule: ThinkRule = 'prefill',
): Parsed<{ think: string; answer: string }> {
  const text = rule === 'prefill' ? `<think>${completion}` : completion;
  const start = text.lastIndexOf('<answer>');
  if (start < 0) return { ok: false, reason: 'no <answer> block' };
  const answer = text.slice(start + '<answer>'.length).replace(/<\/answer>[\s\S]*$/, '');
  const reasoning = /^\s*<think>([\s\S]*?)<\/think>\s*<answer>/.exec(text);
  if (rule !== 'optional' && !reasoning) return { ok: false, reason: 'no <think>…</think> before <answer>' };
  return { ok: true, value: { think: reasoning?.[1] ?? '', answer: answer.replace(/^\n+/, '') } };
}

export interface Layout {
  readonly format: PromptFormat;
  /** The prompt: an instruction (LLM format only), the context, and for `bare` the header the model continues. */
  prompt(
    instruction: string,
    context: string,
    continueWith: string,
    stop: string[],
    maxTokens?: number,
  ): PromptSpec;
  /** The part of a completion that holds the answer, with the header the prompt began for it. */
  answer(completion: string, continueWith: string): Parsed<string>;
}

const bare: Layout = {
  format: 'bare',
  prompt: (_instruction, context, continueWith, stop, maxTokens) => ({
    text: context + continueWith,
    stop,
    maxTokens,
  }),
  answer: (completion, continueWith) => ({ ok: true, value: continueWith + completion }),
};

const thinkAnswerLayout = (rule: ThinkRule): Layout => ({
  format: 'think-answer',
  prompt: (instruction, context, _continueWith, _stop, maxTokens) => ({
    text:
      `${instruction}\n\n${context}\n` +
      'Think step by step inside <think></think>, then give only the answer inside <answer></answer>.\n' +
      (rule === 'prefill' ? '<think>' : ''),
    stop: ['</answer>'],
    maxTokens,
  }),
  answer: (completion) => {
    const read = thinkAnswer(completion, rule);
    return read.ok ? { ok: true, value: read.value.answer } : read;
  },
});

/** The layout of `format`; `think` applies to `think-answer` (default `optional`: only `<answer>` is read). */
export function layout(format: PromptFormat, think: ThinkRule = 'optional'): Layout {
  return format === 'bare' ? bare : thinkAnswerLayout(think);
}

/** A Python call-arguments string is one line in our layouts; repr output likewise. */
export function oneLine(text: string, what: string): Parsed<string> {
  const value = text.trim();
  if (!value) return { ok: false, reason: `empty ${what}` };
  if (value.includes('\n')) return { ok: false, reason: `${what} spans several lines` };
  return { ok: true, value };
}

/**
 * Exactly `count` inputs of a proposal's answer body (several inputs for one program: induction's N, a program
 * mode's `inputsPerProposal`). In `think-answer`, when the body has ```input blocks, the last `count` of them (at
 * least `count`, as the reference reads induction's); else exactly `count` "# input" sections. Each is one line.
 */
export function readInputs(format: PromptFormat, body: string, count: number): Parsed<string[]> {
  const fenced =
    format === 'think-answer'
      ? fencedBlocks(body)
          .filter((b) => b.lang === 'input')
          .map((b) => b.body)
      : [];
  const inputs =
    fenced.length > 0
      ? fenced.slice(-count)
      : readSections(body)
          .filter(([name]) => name === 'input')
          .map(([, text]) => text.trim());
  const found = fenced.length > 0 ? fenced.length : inputs.length;
  if (fenced.length > 0 ? found < count : found !== count)
    return { ok: false, reason: `${found} inputs, expected ${count}` };
  if (inputs.some((i) => !i || i.includes('\n')))
    return { ok: false, reason: 'an input is empty or spans lines' };
  return { ok: true, value: inputs };
}

/**
 * The `name` part of an answer body (what `Layout.answer` read): in `think-answer`, the last fenced block tagged
 * `lang` (the reference's way: ```output, ```input, ```python); else the `# name` section when the body has
 * sections; else the whole body, unwrapped when it is one fenced block.
 */
export function answerPart(format: PromptFormat, body: string, name: string, lang = name): Parsed<string> {
  const fenced = format === 'think-answer' ? lastBlock(body, lang) : undefined;
  if (fenced !== undefined) return { ok: true, value: fenced };
  const sections = readSections(body);
  if (sections.length > 0) {
    const value = section(sections, name);
    return value === undefined ? { ok: false, reason: `no "# ${name}" section` } : { ok: true, value };
  }
  const whole = /^\s*```[\w+-]*[ \t]*\n([\s\S]*?)\n?```\s*$/.exec(body);
  return { ok: true, value: whole ? whole[1]! : body };
}
