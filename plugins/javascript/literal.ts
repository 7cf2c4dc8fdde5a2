// JavaScript plain data: the values JS tasks take and return (null, booleans, finite numbers, strings, arrays,
// plain objects), a strict literal parser for argument lists and answers (no expression is ever evaluated),
// the canonical text of a value (JSON with sorted keys) and value equality.
import type { Parsed } from '../../src/plugins/api.ts';

export type Plain = null | boolean | number | string | Plain[] | PlainObject;
export interface PlainObject {
  [key: string]: Plain;
}

/** Nesting deeper than this is rejected (inputs and outputs alike). */
export const MAX_DEPTH = 64;

class LiteralError extends Error {}

const IDENTIFIER = /[A-Za-z_$][A-Za-z0-9_$]*/y;
const NUMBER =
  /(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)(?![A-Za-z0-9_$])/y;
const SINGLE_ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  b: '\b',
  f: '\f',
  v: '\v',
  '0': '\0',
};

class Reader {
  position = 0;
  constructor(readonly text: string) {}

  fail(message: string): never {
    throw new LiteralError(`${message} at column ${this.position + 1}`);
  }

  skipSpace(): void {
    const text = this.text;
    while (this.position < text.length && /\s/.test(text[this.position]!)) this.position++;
  }

  peek(): string | undefined {
    this.skipSpace();
    return this.text[this.position];
  }

  eat(char: string): boolean {
    if (this.peek() !== char) return false;
    this.position++;
    return true;
  }

  expect(char: string): void {
    if (!this.eat(char)) this.fail(`expected "${char}"`);
  }

  atEnd(): boolean {
    return this.peek() === undefined;
  }

  /** Items up to `close` (exclusive), comma separated, a trailing comma allowed, no holes. */
  list(close: string | undefined, item: () => void): void {
    while (true) {
      if (close === undefined ? this.atEnd() : this.peek() === close) return;
      item();
      if (!this.eat(',')) return;
    }
  }

  value(depth: number): Plain {
    if (depth > MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH}`);
    const char = this.peek();
    if (char === undefined) this.fail('unexpected end');
    if (char === '[') {
      this.position++;
      const items: Plain[] = [];
      this.list(']', () => items.push(this.value(depth + 1)));
      this.expect(']');
      return items;
    }
    if (char === '{') {
      this.position++;
      const object: PlainObject = Object.create(null);
      this.list('}', () => {
        const key = this.key();
        this.expect(':');
        object[key] = this.value(depth + 1);
      });
      this.expect('}');
      return object;
    }
    if (char === '"' || char === "'") return this.string();
    if (char === '-' || char === '+') {
      this.position++;
      this.skipSpace();
      const number = this.number();
      return char === '-' ? -number : number;
    }
    if (/[0-9.]/.test(char)) return this.number();
    IDENTIFIER.lastIndex = this.position;
    const word = IDENTIFIER.exec(this.text)?.[0];
    if (word === 'true' || word === 'false' || word === 'null') {
      this.position += word.length;
      return word === 'null' ? null : word === 'true';
    }
    this.fail(word ? `"${word}" is not a literal` : `unexpected "${char}"`);
  }

  key(): string {
    const char = this.peek();
    let key: string;
    if (char === '"' || char === "'") key = this.string();
    else if (char !== undefined && /[0-9.]/.test(char)) key = String(this.number());
    else {
      IDENTIFIER.lastIndex = this.position;
      const word = IDENTIFIER.exec(this.text)?.[0];
      if (!word) this.fail('expected a property name');
      this.position += word.length;
      key = word;
    }
    if (key === '__proto__') this.fail('"__proto__" is not allowed as a key');
    return key;
  }

  number(): number {
    NUMBER.lastIndex = this.position;
    const match = NUMBER.exec(this.text);
    if (!match) this.fail('expected a number');
    this.position += match[0].length;
    const value = Number(match[0]);
    if (!Number.isFinite(value)) this.fail('number out of range');
    return value;
  }

  string(): string {
    const text = this.text;
    const quote = text[this.position]!;
    let result = '';
    let position = this.position + 1;
    while (true) {
      const char = text[position];
      if (char === undefined || char === '\n' || char === '\r') {
        this.position = position;
        this.fail('unterminated string');
      }
      position++;
      if (char === quote) break;
      if (char !== '\\') {
        result += char;
        continue;
      }
      const escaped = text[position++];
      if (escaped === undefined) {
        this.position = position;
        this.fail('unterminated string');
      }
      if (escaped === '\n' || escaped === '\u2028' || escaped === '\u2029') continue;
      if (escaped === '\r') {
        if (text[position] === '\n') position++;
        continue;
      }
      if (escaped === 'x' || escaped === 'u') {
        let hex: string | undefined;
        if (escaped === 'u' && text[position] === '{') {
          const end = text.indexOf('}', position);
          hex = end > position ? text.slice(position + 1, end) : undefined;
          position = end + 1;
        } else {
          const length = escaped === 'x' ? 2 : 4;
          hex = text.slice(position, position + length);
          if (hex.length !== length) hex = undefined;
          position += length;
        }
        const code = hex && /^[0-9a-fA-F]+$/.test(hex) ? Number.parseInt(hex, 16) : Number.NaN;
        if (!(code <= 0x10ffff)) {
          this.position = position;
          this.fail('bad escaped');
        }
        result += String.fromCodePoint(code);
        continue;
      }
      if (/[1-9]/.test(escaped) || (escaped === '0' && /[0-9]/.test(text[position] ?? ''))) {
        this.position = position;
        this.fail('octal escapes are not allowed');
      }
      result += SINGLE_ESCAPES[escaped] ?? escaped;
    }
    this.position = position;
    return result;
  }
}

function parseWith<T>(text: string, read: (reader: Reader) => T): Parsed<T> {
  if (typeof text !== 'string') return { ok: false, reason: 'not a string' };
  const reader = new Reader(text);
  try {
    const value = read(reader);
    if (!reader.atEnd()) reader.fail('unexpected text after the value');
    return { ok: true, value };
  } catch (error) {
    if (error instanceof LiteralError) return { ok: false, reason: error.message };
    if (error instanceof RangeError) return { ok: false, reason: 'too large or too deeply nested' };
    throw error;
  }
}

/** One JavaScript literal made of plain data, e.g. `{a: [1, 'x'], "b": null}`. */
export function parseLiteral(text: string): Parsed<Plain> {
  return parseWith(text, (reader) => reader.value(0));
}

/** The text of call arguments, e.g. `'John', {age: 20}` (empty: no arguments). */
export function parseArguments(text: string): Parsed<Plain[]> {
  return parseWith(text, (reader) => {
    const values: Plain[] = [];
    reader.list(undefined, () => values.push(reader.value(1)));
    return values;
  });
}

/** Canonical text of a plain value: JSON, object keys sorted by UTF-16 code units, -0 written as 0. */
export function canonical(value: Plain): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return value === 0 ? '0' : JSON.stringify(value);
  if (typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(value[key]!)}`).join(',')}}`;
}

/** Value equality of plain data (numbers by value, objects regardless of key order). */
export function plainEqual(a: Plain, b: Plain): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, index) => plainEqual(item, b[index]!));
  }
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && plainEqual(a[key]!, b[key]!));
}
