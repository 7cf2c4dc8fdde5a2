// The options of `run` and their check: what a library user gives instead of `azr run`'s flags.
import { AzrError } from '../errors.ts';
import type { LoadedTopology } from '../topology/index.ts';
import type { RunEvent } from './events.ts';
import type { NatsOptions } from './nats.ts';
import type { RunFlags } from './run-record.ts';

export interface RunOptions {
  /** The run directory. Default: `runs/NAME-TIMESTAMP` under the working directory. Not with `resume`. */
  out?: string;
  /**
   * Continue the run in this directory from its latest intact checkpoint, with the options recorded in its
   * run.json (`steps`, `maxMinutes`, `seed` given now replace those; `set` adds to them). Default: a new run.
   */
  resume?: string;
  /** The last step. Default: the topology's `run.steps` (10 when it has none). */
  steps?: number;
  /** The topology's seed. Default: its `seed`. */
  seed?: number;
  /** Wall-time budget of the whole run, resumed segments included. Default: the topology's `run.maxMinutes`. */
  maxMinutes?: number;
  /**
   * Changes to the topology before it is checked, as `azr run --set` takes them (`'actors.learner.options.lr=1e-3'`);
   * needs the topology as a file path. Kept in run.json. Default: none.
   */
  set?: string[];
  /** How to reach NATS when the topology has remote actors. Default: AZR_NATS_* variables, then its `nats`. */
  nats?: NatsOptions;
  /** Aborting it stops the run after the current step, with a checkpoint (what Ctrl-C does to `azr run`). */
  signal?: AbortSignal;
  /** Progress, as it happens (see RunEvent). Default: none. */
  onEvent?: (event: RunEvent) => void;
  /** Where the actors' and the NATS head's log lines go. Default: standard error. */
  log?: (line: string) => void;
  /**
   * Called with the loaded topology before the run directory is touched; what it throws ends the run there.
   * `azr run` checks here that the Python sandbox can start. Default: none.
   */
  preflight?: (loaded: LoadedTopology) => void | Promise<void>;
}

/** Options that cannot be run: a step count that is not a whole number, `out` and `resume` both, … (exit 2). */
export class RunOptionsError extends AzrError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

function integer(value: number | undefined, name: string, min: number): number | undefined {
  if (value !== undefined && !(Number.isInteger(value) && value >= min))
    throw new RunOptionsError(`${name} must be an integer ≥ ${min}, got ${value}`);
  return value;
}

/** The options that run.json records, checked. */
export function flagsOf(options: RunOptions): RunFlags {
  if (options.out !== undefined && options.resume !== undefined)
    throw new RunOptionsError('give resume or out, not both (a resumed run stays in its directory)');
  if (options.maxMinutes !== undefined && !(options.maxMinutes > 0))
    throw new RunOptionsError(`maxMinutes must be a number > 0, got ${options.maxMinutes}`);
  return {
    steps: integer(options.steps, 'steps', 0),
    maxMinutes: options.maxMinutes,
    seed: integer(options.seed, 'seed', 0),
    set: options.set ?? [],
  };
}
