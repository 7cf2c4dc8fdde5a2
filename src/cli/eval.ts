// `azr eval CONFIG --bench FILE.jsonl [--checkpoint RUN_DIR]`: CRUXEval-format benchmark ({id, code, input, output}
// per line) with the configured policy, greedy. Output prediction is the deduction mode, input prediction the
// abduction mode; each is scored by the executor.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { coordinatorProtocol } from '../../actors/coordinator.ts';
import { type BenchItem, BenchError, parseBench, type Task } from '../plugins/index.ts';
import { buildTopology } from '../topology/index.ts';
import { loadConfig } from '../run/load.ts';
import { CheckpointError, latestCheckpoint } from '../run/run-dir.ts';

const usage = 'usage: azr eval CONFIG --bench FILE.jsonl [--checkpoint RUN_DIR]';
const metrics = [
  { mode: 'deduction', name: 'outputPrediction', label: 'output prediction (deduction)' },
  { mode: 'abduction', name: 'inputPrediction', label: 'input prediction (abduction)' },
] as const;

export async function run(args: string[]): Promise<number> {
  let values: { bench?: string; checkpoint?: string };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { bench: { type: 'string' }, checkpoint: { type: 'string' } },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    return 2;
  }
  if (positionals.length !== 1 || !values.bench) {
    console.error(usage);
    return 2;
  }
  let items: BenchItem[];
  let snapshots: Record<string, unknown> | undefined;
  try {
    items = parseBench(
      await readFile(values.bench, 'utf8').catch(() => {
        throw new BenchError(`${values.bench}: cannot be read`);
      }),
      values.bench,
    );
    if (values.checkpoint) snapshots = (await latestCheckpoint(values.checkpoint)).snapshots;
  } catch (error) {
    if (!(error instanceof BenchError || error instanceof CheckpointError)) throw error;
    console.error(`azr eval: ${error.message}`);
    return 2;
  }
  const loaded = await loadConfig(positionals[0]!);
  if (!values.checkpoint)
    console.error(
      'azr eval: no --checkpoint RUN_DIR given: scoring the initial weights of the config (untrained, unless its ' +
        'learner loads a pretrained model)',
    );
  const learnerOnly = snapshots?.learner === undefined ? undefined : { learner: snapshots.learner };
  const system = buildTopology(loaded, { snapshots: learnerOnly });
  const coordinator = system.lookup<typeof coordinatorProtocol.spec>('coordinator');
  const figures: Record<string, number> = { items: items.length };
  try {
    // The learner's newest weights: a checkpoint restores only the learner, whose version is the run's last.
    await system.whileRunning(coordinator.ask({ type: 'broadcast', latest: true }, { timeoutMs: 600_000 }));
    for (const { mode, name, label } of metrics) {
      const tasks: Task[] = items.map((item) => ({
        id: item.id,
        mode,
        code: item.code,
        input: item.input,
        output: item.output,
        step: 0,
      }));
      const result = await system.whileRunning(
        coordinator.ask({ type: 'evaluate', mode, tasks }, { timeoutMs: 3_600_000 }),
      );
      if (result.unknownMode) {
        console.log(`${label}: skipped (the config has no "${mode}" mode)`);
        continue;
      }
      const correct = result.correct.filter(Boolean).length;
      figures[name] = correct / items.length;
      figures[`${name}FormatErrors`] = result.formatOk.filter((ok) => !ok).length;
      console.log(`${label}: ${correct}/${items.length} = ${(figures[name] * 100).toFixed(1)}%`);
    }
  } catch (error) {
    console.error(`azr eval: ${(error as Error).message}`);
    return 1;
  } finally {
    await system.stop();
  }
  console.log(JSON.stringify({ bench: values.bench, checkpoint: values.checkpoint ?? null, ...figures }));
  return 0;
}
