// `azr verify FILE.jsonl`: checks answers, lines {id, type, code, input, output, answer, ...}; one
// {id, correct, reason} line each. Induction lines carry the hidden pairs as `inputs` and `outputs`.
import { type CliIO, parseArguments, processIO, runJsonlCommand, withUsageErrors } from './executor-stdio.ts';
import { verify } from '../executor/index.ts';
import type { BuiltinCheck } from '../wire/index.ts';

const USAGE = 'azr verify FILE.jsonl';

export async function run(args: string[], io: CliIO = processIO()): Promise<number> {
  return withUsageErrors(io, async () => {
    const parsed = parseArguments(args, USAGE);
    return runJsonlCommand(
      io,
      parsed,
      (check, input): { id: unknown; item: BuiltinCheck } => {
        const id = input.record.id ?? null;
        const type = check.string('type');
        const answer = check.string('answer');
        switch (type) {
          case 'deduction':
            return { id, item: { type, output: check.string('output'), answer } };
          case 'abduction':
            return { id, item: { type, code: check.string('code'), output: check.string('output'), answer } };
          case 'induction': {
            const inputs = check.stringList('inputs');
            const outputs = check.stringList('outputs');
            if (inputs.length !== outputs.length)
              check.fail('"inputs" and "outputs" must have the same length');
            return { id, item: { type, inputs, outputs, answer } };
          }
          default:
            return check.fail(`"type" must be deduction, abduction or induction, got "${type}"`);
        }
      },
      async (pool, items, timeoutMs) => {
        const results = await verify(
          pool,
          items.map((entry) => entry.item),
          timeoutMs === undefined ? {} : { timeoutMs },
        );
        return results.map((result, index) => ({
          id: items[index].id,
          correct: result.correct,
          reason: result.reason,
        }));
      },
    );
  });
}
