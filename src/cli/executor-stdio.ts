// What `azr validate` and `azr verify` share: arguments, JSONL input with line numbers, the pool, output.
import { readFile } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { PythonPool, type SandboxMode, SandboxUnavailableError } from '../executor/index.ts';
import { UsageError } from './args.ts';

export interface CliIO {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

export const processIO = (): CliIO => ({
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
});

export interface CommonArguments {
  file: string;
  sandbox: SandboxMode;
  timeoutMs: number | undefined;
  workers: number | undefined;
  /** Options a command adds (e.g. `--mode`), by name without dashes. */
  extra: Map<string, string>;
}

const COMMON_HELP = '[--sandbox bwrap|none] [--timeout MS] [--workers N]';

export function parseArguments(
  args: readonly string[],
  usage: string,
  extraOptions: readonly string[] = [],
): CommonArguments {
  const fullUsage = `usage: ${usage} ${COMMON_HELP}`;
  const parsed: CommonArguments = {
    file: '',
    sandbox: 'bwrap',
    timeoutMs: undefined,
    workers: undefined,
    extra: new Map(),
  };
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('--')) {
      files.push(arg);
      continue;
    }
    const [name, inlineValue] = arg.slice(2).split(/=(.*)/s, 2);
    const value = inlineValue ?? args[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value\n${fullUsage}`);
    if (name === 'sandbox') {
      if (value !== 'bwrap' && value !== 'none')
        throw new UsageError(`--sandbox must be bwrap or none, got "${value}"`);
      parsed.sandbox = value;
    } else if (name === 'timeout' || name === 'workers') {
      const number = Number(value);
      if (!Number.isInteger(number) || number < 1)
        throw new UsageError(`--${name} must be a positive integer, got "${value}"`);
      if (name === 'timeout') parsed.timeoutMs = number;
      else parsed.workers = number;
    } else if (extraOptions.includes(name)) {
      parsed.extra.set(name, value);
    } else {
      throw new UsageError(`unknown option --${name}\n${fullUsage}`);
    }
  }
  if (files.length !== 1) throw new UsageError(`expected one input file (or - for stdin)\n${fullUsage}`);
  parsed.file = files[0];
  return parsed;
}

export interface InputLine {
  /** 1-based line number in the input, for messages. */
  line: number;
  record: Record<string, unknown>;
}

/** A line that could not be read or checked: answered in place with this record, the others go on. */
export interface BadLine {
  line: number;
  id: unknown;
  error: string;
}

/**
 * Reads JSONL (a file, or stdin for `-`); blank lines are skipped. A line that is not a JSON object becomes a
 * BadLine in its place; a file that cannot be read, or holds no line at all, is a UsageError.
 */
export async function readJsonLines(file: string, io: CliIO): Promise<Array<InputLine | BadLine>> {
  let text: string;
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    text = Buffer.concat(chunks).toString('utf8');
  } else {
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new UsageError(
        `${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
  }
  const where = file === '-' ? '<stdin>' : file;
  const lines: Array<InputLine | BadLine> = [];
  text.split('\n').forEach((raw, index) => {
    if (raw.trim() === '') return;
    const line = index + 1;
    let record: unknown;
    try {
      record = JSON.parse(raw);
    } catch (error) {
      lines.push({ line, id: null, error: `${where}:${line}: invalid JSON (${(error as Error).message})` });
      return;
    }
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      lines.push({ line, id: null, error: `${where}:${line}: expected a JSON object` });
      return;
    }
    lines.push({ line, record: record as Record<string, unknown> });
  });
  if (lines.length === 0)
    throw new UsageError(`${where}: no input lines (expected one JSON object per line)`);
  return lines;
}

const isBad = (entry: InputLine | BadLine): entry is BadLine => 'error' in entry;

/** The checked items of the input, and the bad lines, each at its place. */
export async function readItems<T>(
  parsed: CommonArguments,
  io: CliIO,
  toItem: (check: LineChecker, input: InputLine) => T,
): Promise<Array<{ item: T } | BadLine>> {
  const where = parsed.file === '-' ? '<stdin>' : parsed.file;
  return (await readJsonLines(parsed.file, io)).map((entry) => {
    if (isBad(entry)) return entry;
    try {
      return { item: toItem(new LineChecker(where, entry), entry) };
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      return { line: entry.line, id: entry.record.id ?? null, error: error.message };
    }
  });
}

/**
 * Runs `process` on the good items and writes one JSONL line per input line, in order: its result, or for a bad
 * line `{id, line, error}`. Exit 0, or 2 when any line was bad (after answering all of them, with a count on stderr).
 */
export async function answerLines<T>(
  io: CliIO,
  entries: Array<{ item: T } | BadLine>,
  process: (items: T[]) => Promise<unknown[]>,
): Promise<number> {
  const good = entries.filter((entry): entry is { item: T } => 'item' in entry);
  const results = good.length > 0 ? await process(good.map((entry) => entry.item)) : [];
  let next = 0;
  const text = entries
    .map((entry) =>
      JSON.stringify(
        'item' in entry ? results[next++] : { id: entry.id, line: entry.line, error: entry.error },
      ),
    )
    .map((line) => `${line}\n`)
    .join('');
  await new Promise<void>((resolve, reject) =>
    io.stdout.write(text, (error) => (error ? reject(error) : resolve())),
  );
  const bad = entries.length - good.length;
  if (bad === 0) return 0;
  io.stderr.write(
    `${bad} of ${entries.length} line(s) could not be read; their output lines carry the error\n`,
  );
  return 2;
}

/** Field checks that name the file and line of the problem. */
export class LineChecker {
  constructor(
    private readonly where: string,
    private readonly input: InputLine,
  ) {}

  fail(message: string): never {
    throw new UsageError(`${this.where}:${this.input.line}: ${message}`);
  }

  string(field: string): string {
    const value = this.input.record[field];
    if (value === undefined) this.fail(`missing "${field}"`);
    if (typeof value !== 'string') this.fail(`"${field}" must be a string`);
    return value;
  }

  stringList(field: string): string[] {
    const value = this.input.record[field];
    if (value === undefined) this.fail(`missing "${field}"`);
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
      this.fail(`"${field}" must be a list of strings`);
    }
    return value;
  }

  has(field: string): boolean {
    return this.input.record[field] !== undefined;
  }
}

/** The shared flow: read and check every line, run the good ones as one batch on a pool, answer every line. */
export async function runJsonlCommand<T>(
  io: CliIO,
  parsed: CommonArguments,
  toItem: (check: LineChecker, input: InputLine) => T,
  process: (pool: PythonPool, items: T[], timeoutMs: number | undefined) => Promise<unknown[]>,
): Promise<number> {
  const entries = await readItems(parsed, io, toItem);
  let pool: PythonPool;
  try {
    pool = new PythonPool({
      sandbox: parsed.sandbox,
      ...(parsed.workers === undefined ? {} : { size: parsed.workers }),
    });
  } catch (error) {
    if (error instanceof SandboxUnavailableError) {
      io.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
  try {
    return await answerLines(io, entries, (items) => process(pool, items, parsed.timeoutMs));
  } finally {
    await pool.close();
  }
}

/** Runs a command body, turning UsageError into exit code 2 with its message on stderr. */
export async function withUsageErrors(io: CliIO, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
