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

export interface Layout {
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
  prompt: (_instruction, context, continueWith, stop, maxTokens) => ({
    text: context + continueWith,
    stop,
    maxTokens,
  }),
  answer: (completion, continueWith) => ({ ok: true, value: continueWith + completion }),
};

const thinkAnswer: Layout = {
  prompt: (instruction, context, _continueWith, _stop, maxTokens) => ({
    text:
      `${instruction}\n\n${context}\n` +
      'Think step by step inside <think></think>, then give only the answer inside <answer></answer>.\n',
    stop: ['</answer>'],
    maxTokens,
  }),
  answer: (completion) => {
    const start = completion.lastIndexOf('<answer>');
    if (start < 0) return { ok: false, reason: 'no <answer> block' };
    const body = completion.slice(start + '<answer>'.length).replace(/<\/answer>[\s\S]*$/, '');
    return { ok: true, value: body.replace(/^\n+/, '').replace(/^```[a-z]*\n([\s\S]*?)\n?```\s*$/, '$1') };
  },
};

export function layout(format: PromptFormat): Layout {
  return format === 'bare' ? bare : thinkAnswer;
}

/** A Python call-arguments string is one line in our layouts; repr output likewise. */
export function oneLine(text: string, what: string): Parsed<string> {
  const value = text.trim();
  if (!value) return { ok: false, reason: `empty ${what}` };
  if (value.includes('\n')) return { ok: false, reason: `${what} spans several lines` };
  return { ok: true, value };
}
