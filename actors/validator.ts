// The validator actor: owns the sandboxed executors (Python built in; others from plugins) and answers two
// questions for the self-play loop — which proposals are valid tasks (and their outputs), and which answers are
// correct (built-in checks by the executor, a mode's custom checks by the mode's `judge`, with the executor at
// hand). A broken pool crashes the actor, and its supervisor starts a fresh one; a judge that throws is a fault.
import { type Static, Type } from '@sinclair/typebox';
import { PythonPool, type ValidationOptions, validate, verify } from '../src/executor/index.ts';
import {
  type AnswerCheck,
  type AnswerVerdict,
  type Executor,
  type ExecutorFactory,
  type Faults,
  mergeFaults,
  recordFault,
  type TaskMode,
} from '../src/plugins/index.ts';
import { defineActor, defineProtocol } from '../src/runtime/index.ts';
import { loadActorPlugins, PluginOptions } from './plugins.ts';
import {
  AnswerCheckSchema,
  AnswerVerdictSchema,
  FaultsSchema,
  ProposalSchema,
  ProposalVerdictSchema,
} from './schemas.ts';
import { AzrError } from '../src/errors.ts';

export const validatorProtocol = defineProtocol({
  validate: {
    request: Type.Object({
      proposals: Type.Array(ProposalSchema),
      executor: Type.Optional(Type.String({ description: 'Default: python.' })),
    }),
    reply: Type.Object({
      results: Type.Array(ProposalVerdictSchema),
      /** Infrastructure faults met on the way (`executor.workerLost`: jobs run again on a fresh worker). */
      faults: FaultsSchema,
      computeMs: Type.Number(),
    }),
  },
  verify: {
    request: Type.Object({
      answers: Type.Array(AnswerCheckSchema),
      executor: Type.Optional(Type.String()),
      mode: Type.Optional(Type.String({ description: 'The task mode whose judge decides custom checks.' })),
    }),
    reply: Type.Object({
      results: Type.Array(AnswerVerdictSchema),
      faults: FaultsSchema,
      computeMs: Type.Number(),
    }),
  },
});

export const ValidatorOptions = Type.Object({
  ...PluginOptions,
  poolSize: Type.Optional(
    Type.Integer({ minimum: 1, description: 'Python workers (default: the core count).' }),
  ),
  sandbox: Type.Union([Type.Literal('bwrap'), Type.Literal('none')], {
    default: 'bwrap',
    description: '"none" runs untrusted code unsandboxed and must be asked for explicitly.',
  }),
  python: Type.Optional(
    Type.Object(
      {
        path: Type.Optional(
          Type.String({
            minLength: 1,
            description:
              'The interpreter: /usr/bin/python3 (default) or a venv\'s bin/python (docs/executor.md, "Libraries").',
          }),
        ),
        sitePackages: Type.Boolean({
          default: true,
          description:
            'Give it its site-packages (read-only); false runs it with -S: the standard library only.',
        }),
      },
      { description: "The sandbox's Python, with its site-packages read-only (default: /usr/bin/python3)." },
    ),
  ),
  timeoutMs: Type.Integer({ minimum: 1, default: 5000, description: 'Deadline of one job (ms).' }),
  memoryMb: Type.Integer({
    minimum: 16,
    default: 256,
    description: 'Address-space limit of a worker (MiB).',
  }),
  maxOutputChars: Type.Integer({ minimum: 1, default: 400, description: 'Longest output repr accepted.' }),
  inductionInputs: Type.Integer({ minimum: 1, default: 10, description: 'Inputs of an induction proposal.' }),
  bannedModules: Type.Optional(
    Type.Array(Type.String(), { description: 'Replaces the default banned-module list.' }),
  ),
  allowHelpers: Type.Boolean({ default: true, description: 'Allow functions besides f.' }),
  expressions: Type.Union([Type.Literal('python'), Type.Literal('literals')], {
    default: 'python',
    description:
      'Inputs and answers: "python" evaluates them as Python expressions in the sandbox (the paper\'s, e.g. range(5), 2**2); "literals" accepts Python literals only (docs/azr.md §3).',
  }),
  outputs: Type.Union([Type.Literal('literal'), Type.Literal('repr')], {
    default: 'literal',
    description:
      'Outputs: "literal" accepts reprs that round-trip through ast.literal_eval; "repr" also ones that evaluate back to an equal value of the same type (inf, Ellipsis, Counter, deque), as the reference does (docs/azr.md §3).',
  }),
});

export type ValidatorOptions = Static<typeof ValidatorOptions>;

interface ValidatorState {
  python: Executor;
  /** Infrastructure faults since the last reply (the mailbox hands the validator one message at a time). */
  infra: Faults;
  /** Executors from plugins, by name, started on first use. */
  factories: Map<string, ExecutorFactory>;
  started: Map<string, Executor>;
  settings: { workers?: number; timeoutMs: number };
  /** The task modes, for the judges of their custom checks. */
  modes: Map<string, TaskMode>;
}

/** The built-in executor: Python in bubblewrap, with the AZR validation policy. */
function pythonExecutor(options: ValidatorOptions, log: (line: string) => void, infra: Faults): Executor {
  const pool = new PythonPool({
    size: options.poolSize,
    sandbox: options.sandbox,
    pythonPath: options.python?.path,
    sitePackages: options.python?.sitePackages,
    limits: { timeoutMs: options.timeoutMs, memoryBytes: options.memoryMb * 1024 * 1024 },
  });
  // An infrastructure fault, never a verdict: the job runs again on a fresh worker.
  pool.on('jobRetried', ({ pid, reason }) => {
    const line = `sandbox worker ${pid}: ${reason} under a job, run again (${pool.infraRetries} such retries so far)`;
    recordFault(infra, INFRA_FAULT, new Error(line));
    log(line);
  });
  const policy: ValidationOptions = {
    maxOutputChars: options.maxOutputChars,
    inductionInputs: options.inductionInputs,
    bannedModules: options.bannedModules,
    allowHelpers: options.allowHelpers,
    expressions: options.expressions,
    outputs: options.outputs,
  };
  return {
    validate: (proposals) => validate(pool, proposals, policy),
    verify: (checks) => verify(pool, checks, policy),
    close: () => pool.close(),
  };
}

/** The fault part under which lost sandbox workers are counted: `faults.executor.workerLost` in metrics. */
export const INFRA_FAULT = 'executor.workerLost';

/** The infrastructure faults recorded since the last reply; the record starts empty again. */
function takeInfraFaults(state: ValidatorState): Faults {
  const taken = { ...state.infra };
  for (const part of Object.keys(state.infra)) delete state.infra[part];
  return taken;
}

function executor(state: ValidatorState, name = 'python'): Executor {
  if (name === 'python') return state.python;
  let started = state.started.get(name);
  if (!started) {
    const factory = state.factories.get(name);
    if (!factory) {
      const known = ['python', ...state.factories.keys()].join(', ');
      throw new AzrError(
        'PLUGIN_INVALID',
        `validator: no executor "${name}" (known: ${known}); add the plugin that provides it`,
      );
    }
    started = factory.create(state.settings);
    state.started.set(name, started);
  }
  return started;
}

const unjudged = (reason: string, errorType: string): AnswerVerdict => ({
  correct: false,
  malformed: false,
  reason,
  errorType,
  durationMs: 0,
});

/** A judge's verdict as the message schema wants it, whatever the plugin returned. */
function verdictOf(value: AnswerVerdict): AnswerVerdict {
  const text = (x: unknown) => (typeof x === 'string' ? x : null);
  return {
    correct: value?.correct === true,
    malformed: value?.malformed === true,
    reason: text(value?.reason),
    errorType: text(value?.errorType),
    durationMs: Number.isFinite(value?.durationMs) ? value.durationMs : 0,
  };
}

/** Built-in checks go to the executor in one batch; custom ones to the mode's judge, each on its own. */
async function verifyAll(
  state: ValidatorState,
  checks: readonly AnswerCheck[],
  executorName: string | undefined,
  modeName: string | undefined,
  faults: Faults,
): Promise<AnswerVerdict[]> {
  const runner = executor(state, executorName);
  const builtin = checks.flatMap((check, i) => (check.type === 'custom' ? [] : [{ i, check }]));
  const verdicts: AnswerVerdict[] = new Array(checks.length);
  const fromExecutor = builtin.length ? await runner.verify(builtin.map(({ check }) => check)) : [];
  builtin.forEach(({ i }, k) => {
    verdicts[i] = fromExecutor[k]!;
  });
  const mode = modeName === undefined ? undefined : state.modes.get(modeName);
  const part = `mode:${modeName ?? '(none)'}.judge`;
  await Promise.all(
    checks.map(async (check, i) => {
      if (check.type !== 'custom') return;
      if (!mode?.judge) {
        const reason = mode
          ? `task mode "${modeName}" returns custom checks but has no judge`
          : `no task mode "${modeName ?? ''}" to judge a custom check (the verify request names none, or the validator did not load it)`;
        recordFault(faults, part, new Error(reason));
        verdicts[i] = unjudged(reason, 'NoJudge');
        return;
      }
      const started = performance.now();
      try {
        const verdict = verdictOf(await mode.judge(check, runner));
        verdicts[i] = { ...verdict, durationMs: verdict.durationMs || performance.now() - started };
      } catch (error) {
        const cause = error instanceof Error ? error : new Error(String(error));
        recordFault(faults, part, cause);
        verdicts[i] = unjudged(`the judge failed: ${cause.message}`, 'PluginFault');
      }
    }),
  );
  return verdicts;
}

export const validator = defineActor({
  kind: 'validator',
  module: import.meta.url,
  protocol: validatorProtocol,
  options: ValidatorOptions,
  init: async (options, ctx): Promise<ValidatorState> => {
    const plugins = await loadActorPlugins(options);
    const infra: Faults = {};
    return {
      infra,
      python: pythonExecutor(options, ctx.log, infra),
      factories: plugins.executors,
      started: new Map(),
      settings: { workers: options.poolSize, timeoutMs: options.timeoutMs },
      modes: plugins.modes,
    };
  },
  handlers: {
    validate: async (state, { proposals, executor: name }, ctx) => {
      const started = performance.now();
      const results = await executor(state, name).validate(proposals);
      ctx.reply({ results, faults: takeInfraFaults(state), computeMs: performance.now() - started });
      return state;
    },
    verify: async (state, { answers, executor: name, mode }, ctx) => {
      const started = performance.now();
      const faults: Faults = {};
      const results = await verifyAll(state, answers, name, mode, faults);
      mergeFaults(faults, takeInfraFaults(state));
      ctx.reply({ results, faults, computeMs: performance.now() - started });
      return state;
    },
  },
  stop: async (state) => {
    if (!state) return;
    await Promise.all([state.python, ...state.started.values()].map((e) => e.close()));
  },
});
