// `azr validate FILE.jsonl [--mode python|js]`: AZR validation (docs/azr.md §3) of {id, code, input} lines
// (or {id, code, inputs, message} for induction proposals); one {id, valid, output, reason} line each.
import {
  type CliIO,
  type CommonArguments,
  type InputLine,
  type LineChecker,
  answerLines,
  parseArguments,
  processIO,
  readItems,
  runJsonlCommand,
  withUsageErrors,
} from './executor-stdio.ts';
import { UsageError } from './args.ts';
import { validate } from '../executor/index.ts';
import type { Proposal, ProposalVerdict } from '../wire/index.ts';

const USAGE = 'azr validate FILE.jsonl [--mode python|js]';

export async function run(args: string[], io: CliIO = processIO()): Promise<number> {
  return withUsageErrors(io, async () => {
    const parsed = parseArguments(args, USAGE, ['mode']);
    const mode = parsed.extra.get('mode') ?? 'python';
    if (mode === 'js') return runJs(io, parsed);
    if (mode !== 'python') throw new UsageError(`--mode must be python or js, got "${mode}"`);
    return runJsonlCommand(io, parsed, toItem, async (pool, items, timeoutMs) => {
      const proposals = items.map((item) => item.proposal);
      // Induction lines need AZR's default N = 10 inputs.
      const results = await validate(pool, proposals, timeoutMs === undefined ? {} : { timeoutMs });
      return toLines(items, results);
    });
  });
}

interface Item {
  id: unknown;
  proposal: Proposal;
}

function toItem(check: LineChecker, input: InputLine): Item {
  const code = check.string('code');
  const id = input.record.id ?? null;
  if (check.has('inputs')) {
    return {
      id,
      proposal: { code, inputs: check.stringList('inputs'), message: check.string('message') },
    };
  }
  return { id, proposal: { code, input: check.string('input') } };
}

function toLines(items: readonly Item[], results: readonly ProposalVerdict[]): object[] {
  return results.map((result, index) => {
    const line = {
      id: items[index].id,
      valid: result.valid,
      output: result.output,
      reason: result.reason,
    };
    return 'inputs' in items[index].proposal ? { ...line, outputs: result.outputs } : line;
  });
}

/**
 * `--mode js`: the same lines, validated by the JavaScript task mode (QuickJS in worker threads). QuickJS is the
 * sandbox, so `--sandbox` does not apply; `--workers` and `--timeout` do.
 */
async function runJs(io: CliIO, parsed: CommonArguments): Promise<number> {
  const entries = await readItems(parsed, io, toItem);
  // Loaded only when asked for, so the Python path does not start QuickJS.
  const { JsPool, validateJs } = await import('../../plugins/javascript/index.ts');
  const pool = new JsPool({
    ...(parsed.workers === undefined ? {} : { size: parsed.workers }),
    ...(parsed.timeoutMs === undefined ? {} : { limits: { timeoutMs: parsed.timeoutMs } }),
  });
  try {
    return await answerLines(io, entries, async (items) =>
      toLines(
        items,
        await validateJs(
          pool,
          items.map((item) => item.proposal),
        ),
      ),
    );
  } finally {
    await pool.close();
  }
}
