// `azr validate FILE.jsonl [--mode python|js]`: AZR validation (AZR-SPEC §3) of {id, code, input} lines
// (or {id, code, inputs, message} for induction proposals); one {id, valid, output, reason} line each.
import {
  type CliIO,
  parseArguments,
  processIO,
  runJsonlCommand,
  UsageError,
  withUsageErrors,
} from '../executor/cli-support.ts';
import { type Proposal, validate } from '../executor/index.ts';

const USAGE = 'azr validate FILE.jsonl [--mode python|js]';

export async function run(args: string[], io: CliIO = processIO()): Promise<number> {
  return withUsageErrors(io, async () => {
    const parsed = parseArguments(args, USAGE, ['mode']);
    const mode = parsed.extra.get('mode') ?? 'python';
    if (mode === 'js') throw new UsageError('mode js is not available yet');
    if (mode !== 'python') throw new UsageError(`--mode must be python or js, got "${mode}"`);
    return runJsonlCommand(
      io,
      parsed,
      (check, input): { id: unknown; proposal: Proposal } => {
        const code = check.string('code');
        const id = input.record.id ?? null;
        if (check.has('inputs')) {
          return {
            id,
            proposal: { code, inputs: check.stringList('inputs'), message: check.string('message') },
          };
        }
        return { id, proposal: { code, input: check.string('input') } };
      },
      async (pool, items, timeoutMs) => {
        const proposals = items.map((item) => item.proposal);
        // Induction lines need AZR's default N = 10 inputs.
        const results = await validate(pool, proposals, timeoutMs === undefined ? {} : { timeoutMs });
        return results.map((result, index) => {
          const line = {
            id: items[index].id,
            valid: result.valid,
            output: result.output,
            reason: result.reason,
          };
          return 'inputs' in proposals[index] ? { ...line, outputs: result.outputs } : line;
        });
      },
    );
  });
}
