// `--set PATH=VALUE` on the command line: a change to the topology document before it is checked, so an override is
// validated like the file itself. PATH is dotted; in a list, a segment picks an entry by index or by its name
// (`actors.learner.options.lr`, `plugins.deduction.options.references`: an actor's `name`, a plugin's `use`).
// VALUE is read as YAML: `3`, `1e-3`, `true`, `bare`, `[a, b]`, `{ every: 5 }`.
import { type Document, isMap, isSeq, parse } from 'yaml';
import { AzrError } from '../errors.ts';

export interface Override {
  /** As typed: `actors.learner.options.lr=1e-3`. */
  text: string;
  path: string[];
  value: unknown;
}

export class OverrideError extends AzrError {
  constructor(message: string) {
    super('OVERRIDE_INVALID', message);
  }
}

/** Parses `PATH=VALUE`; throws OverrideError with what is wrong. */
export function parseOverride(text: string): Override {
  const at = text.indexOf('=');
  if (at <= 0)
    throw new OverrideError(`--set "${text}": expected PATH=VALUE, e.g. actors.learner.options.lr=1e-3`);
  const path = text.slice(0, at).split('.');
  if (path.some((segment) => segment === ''))
    throw new OverrideError(`--set "${text}": empty segment in the path "${text.slice(0, at)}"`);
  let value: unknown;
  try {
    value = parse(text.slice(at + 1));
  } catch (error) {
    throw new OverrideError(
      `--set "${text}": the value is not valid YAML: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  return { text, path, value: value === null && text.slice(at + 1) === '' ? '' : value };
}

const escapePointer = (key: string | number) => String(key).replace(/~/g, '~0').replace(/\//g, '~1');
export const pointerOf = (keys: Array<string | number>) => keys.map((k) => `/${escapePointer(k)}`).join('');

/** The document keys an override's path reaches: list entries found by index, `name` or `use`. */
function resolveKeys(doc: Document, override: Override): Array<string | number> {
  const keys: Array<string | number> = [];
  let node: unknown = doc.contents;
  for (const segment of override.path) {
    if (isSeq(node)) {
      const items = node.items as unknown[];
      let index = /^\d+$/.test(segment) ? Number(segment) : -1;
      if (index < 0) {
        index = items.findIndex(
          (item) => isMap(item) && (item.get('name') === segment || item.get('use') === segment),
        );
      }
      if (index < 0 || index >= items.length) {
        const names = items.map((item) => (isMap(item) ? (item.get('name') ?? item.get('use')) : undefined));
        throw new OverrideError(
          `--set ${override.text}: ${pointerOf(keys) || '/'} has no entry "${segment}" ` +
            `(entries: ${names.filter((n) => n !== undefined).join(', ') || 'none'}; or use an index 0–${items.length - 1})`,
        );
      }
      keys.push(index);
      node = items[index];
    } else {
      keys.push(segment);
      node = isMap(node) ? node.get(segment, true) : undefined;
    }
  }
  return keys;
}

/** Applies the overrides to the document in order; returns the JSON pointer each one set. */
export function applyOverrides(doc: Document, overrides: Override[]): Map<string, Override> {
  const applied = new Map<string, Override>();
  for (const override of overrides) {
    const keys = resolveKeys(doc, override);
    try {
      doc.setIn(keys, doc.createNode(override.value));
    } catch (error) {
      throw new OverrideError(`--set ${override.text}: ${(error as Error).message.split('\n')[0]}`);
    }
    applied.set(pointerOf(keys), override);
  }
  return applied;
}
