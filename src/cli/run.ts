// `azr run CONFIG [--steps N] [--out DIR] [--resume DIR] [--seed S]`: self-play, through the library's `run`
// (src/run/run.ts). This file reads the flags, prints the progress and the end, and turns errors into exit codes;
// Ctrl-C aborts the run's signal: the current step finishes, a checkpoint is saved and the command exits cleanly.
import { parseArgs } from 'node:util';
import { AzrError, exitCodeOf } from '../errors.ts';
import { UsageError } from './args.ts';
import type { RunEvent } from '../run/events.ts';
import { averagedMode } from '../selfplay/metrics.ts';
import type { RunFlags } from '../run/run-record.ts';
import { run as runTopology } from '../run/run.ts';
import { ConfigError, type LoadedTopology } from '../topology/index.ts';
import { type NatsFlagValues, natsFlags, natsOptions, natsUsage } from './nats.ts';
import { Progress } from './progress.ts';
import { sandboxReadiness, startsSandbox } from './system-parts.ts';

const usage = `usage: azr run CONFIG [--steps N] [--max-minutes M] [--out DIR] [--resume DIR] [--seed S] [--set PATH=VALUE …] ${natsUsage}`;

const help = `${usage}

Runs self-play for a topology and writes a run directory: metrics.jsonl, checkpoints/, run.json, summary.json,
report.html (refreshed at every checkpoint and at least once a minute).
  --steps N         last step (default: the topology's run.steps)
  --max-minutes M   wall-time budget of the whole run, resumed segments included (default: run.maxMinutes)
  --out DIR         the run directory (default: runs/NAME-TIMESTAMP)
  --resume DIR      continue the run in DIR from its latest checkpoint, with the flags it was started with
                    (recorded in DIR/run.json); flags given now replace those
  --seed S          the topology's seed
  --set PATH=VALUE  change the topology before it is checked, e.g. --set actors.learner.options.lr=1e-3 or
                    --set run.checkpointEvery=10; repeatable; list entries by name, index or plugin name
Ctrl-C finishes the current step, saves a checkpoint and prints the command that resumes.`;

/** The Python sandbox cannot start on this machine (said before any actor starts). */
class SandboxNotReadyError extends AzrError {
  constructor(message: string) {
    super('SANDBOX_UNAVAILABLE', message);
  }
}

function integerFlag(value: string | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}

function parseFlags(values: Record<string, string | string[] | boolean | undefined>): RunFlags {
  const one = (name: string) => values[name] as string | undefined;
  const flags: RunFlags = {
    steps: integerFlag(one('steps'), 'steps', 0),
    seed: integerFlag(one('seed'), 'seed', 0),
    set: (values.set as string[] | undefined) ?? [],
  };
  const minutes = one('max-minutes');
  if (minutes !== undefined) {
    flags.maxMinutes = Number(minutes);
    if (!(flags.maxMinutes > 0)) throw new UsageError(`--max-minutes must be a number > 0, got "${minutes}"`);
  }
  return flags;
}

function checkSandbox(loaded: LoadedTopology): void {
  if (!loaded.topology.actors.some((entry) => entry.host !== 'remote' && startsSandbox(entry))) return;
  const problem = sandboxReadiness();
  if (problem !== null) throw new SandboxNotReadyError(problem);
}

const percent = (x: number) => `${(100 * x).toFixed(1)}%`;

/** A held-out score's name as printed: `ema.deduction` → "deduction, moving average of the weights". */
function heldoutLabel(name: string): string {
  const averaged = averagedMode(name);
  return averaged ? `${averaged}, moving average of the weights` : name;
}

function describeHeldout(
  accuracy: Record<string, number>,
  baselines: Record<string, { mostCommon: number; identity: number }>,
): string {
  return Object.entries(accuracy)
    .map(([mode, a]) => {
      const b = baselines[mode];
      return `${heldoutLabel(mode)} ${percent(a)}${b ? ` (baselines: most common ${percent(b.mostCommon)}, identity ${percent(b.identity)})` : ''}`;
    })
    .join('; ');
}

/** Prints the run's events: repairs before it starts, then the progress line and its notes. */
class Printer {
  progress?: Progress;
  done?: Extract<RunEvent, { type: 'done' }>;

  note(text: string): void {
    if (this.progress) this.progress.note(text);
    else console.error(text);
  }

  readonly onEvent = (event: RunEvent): void => {
    switch (event.type) {
      case 'repaired':
        return console.error(`azr run: ${event.message}`);
      case 'started':
        this.progress = new Progress(event.firstStep - 1, event.lastStep, event.deadline);
        return;
      case 'seeding':
        return this.note(`run directory: ${event.runDir}`);
      case 'seeded':
        return this.note(
          `seeded buffers in ${event.rounds} round(s): ${Object.entries(event.sizes)
            .map(([m, n]) => `${m} ${n}`)
            .join(', ')}`,
        );
      case 'resumed':
        return this.note(`resumed ${event.runDir} after step ${event.step}`);
      case 'heldout':
        if (event.step === 0)
          this.note(`held-out before training: ${describeHeldout(event.accuracy, event.baselines)}`);
        return;
      case 'step':
        return this.progress?.step(event.step, event.metrics);
      case 'checkpoint':
        return this.note(`checkpoint: ${event.dir}`);
      case 'note':
        return this.note(event.message);
      case 'done':
        this.done = event;
        return;
    }
  };
}

export async function run(args: string[]): Promise<number> {
  let values: Record<string, string | string[] | boolean | undefined>;
  let positionals: string[];
  let given: RunFlags;
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        steps: { type: 'string' },
        'max-minutes': { type: 'string' },
        out: { type: 'string' },
        resume: { type: 'string' },
        seed: { type: 'string' },
        set: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
        ...natsFlags,
      },
    }));
    if (values.help) {
      console.log(help);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError(usage);
    given = parseFlags(values);
    if (values.resume !== undefined && values.out !== undefined)
      throw new UsageError('give --resume DIR or --out DIR, not both (a resumed run stays in its directory)');
  } catch (error) {
    console.error(
      error instanceof UsageError
        ? `azr run: ${error.message}`
        : `azr run: ${(error as Error).message}\n${usage}`,
    );
    return 2;
  }
  const config = positionals[0]!;
  const printer = new Printer();
  const stop = new AbortController();
  const onSigint = () => {
    if (stop.signal.aborted) process.exit(130);
    stop.abort();
    printer.note(
      'interrupted: finishing the current step, then saving a checkpoint (Ctrl-C again to quit at once)',
    );
  };
  let summary: Awaited<ReturnType<typeof runTopology>>;
  try {
    // Ctrl-C is the run's from the moment its actors start; before that it ends the command at once.
    const onEvent = (event: RunEvent) => {
      if (event.type === 'started') process.on('SIGINT', onSigint);
      printer.onEvent(event);
    };
    summary = await runTopology(config, {
      ...given,
      out: values.out as string | undefined,
      resume: values.resume as string | undefined,
      nats: natsOptions(values as NatsFlagValues),
      signal: stop.signal,
      onEvent,
      preflight: checkSandbox,
    });
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    printer.progress?.done();
    console.error(`azr run: ${(error as Error).message}`);
    // Once the actors run, whatever stops them is a failure of the run.
    return printer.progress ? 1 : exitCodeOf(error);
  } finally {
    process.off('SIGINT', onSigint);
  }
  const { summaryFile, reportFile } = printer.done!;
  printer.progress?.done();
  console.log(`${summary.interrupted ? 'interrupted' : 'done'} after step ${summary.steps}: ${summaryFile}`);
  if (reportFile) console.log(`report: ${reportFile}`);
  if (summary.interrupted)
    console.log(
      `resume with: azr run ${config} --resume ${summary.runDir}   (its flags are kept in run.json)`,
    );
  for (const [mode, h] of Object.entries(summary.heldout ?? {})) {
    const fmt = (x: number | null) => (x === null ? '–' : percent(x));
    console.log(
      `held-out ${heldoutLabel(mode)}: ${fmt(h.before)} → ${fmt(h.after)} ` +
        `(baselines: most common ${percent(h.baselines.mostCommon)}, identity ${percent(h.baselines.identity)})`,
    );
  }
  return 0;
}
