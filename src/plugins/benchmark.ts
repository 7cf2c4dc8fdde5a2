// CRUXEval-format task files — one {id, code, input, output} object per line — for benchmarks and held-out sets.
import { AzrError } from '../errors.ts';

export interface BenchItem {
  id: string;
  code: string;
  input: string;
  output: string;
}

/**
 * Parses a CRUXEval-format JSONL file's text (`{id, code, input, output}` per line; `file` names it in errors);
 * throws a `BENCH_INVALID` error naming FILE:LINE and the problem.
 */
export function parseBench(text: string, file: string): BenchItem[] {
  const items: BenchItem[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new BenchError(`${file}:${i + 1}: not JSON: ${(error as Error).message}`);
    }
    for (const key of ['code', 'input', 'output']) {
      if (typeof value[key] !== 'string') throw new BenchError(`${file}:${i + 1}: "${key}" must be a string`);
    }
    items.push({
      id: String(value.id ?? i + 1),
      code: value.code as string,
      input: value.input as string,
      output: value.output as string,
    });
  });
  if (items.length === 0) throw new BenchError(`${file}: no items`);
  return items;
}

export class BenchError extends AzrError {
  constructor(message: string) {
    super('BENCH_INVALID', message);
  }
}
