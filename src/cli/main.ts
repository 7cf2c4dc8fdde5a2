// The `azr` command. Each command lives in a module of its own that exports `run(args): Promise<exit code>`.
// Exit codes: 0 done, 1 runtime failure, 2 bad input (config, file, arguments).
import { ConfigError } from '../topology/index.ts';

type Command = {
  summary: string;
  /** What `azr COMMAND --help` prints; commands without it answer --help themselves. */
  help?: string;
  load: () => Promise<{ run(args: string[]): Promise<number> }>;
};

const commands: Record<string, Command> = {
  run: {
    summary:
      'run CONFIG [--steps N] [--max-minutes M] [--out DIR] [--resume DIR] [--seed S] [--set PATH=VALUE]   self-play',
    load: () => import('./run.ts'),
  },
  demo: {
    summary: 'demo                      run the runtime demo topology',
    help: `usage: azr demo [--config TOPOLOGY] [--jobs N]\n\nRuns the runtime demo (--config, default examples/demo/topology.yaml; --jobs messages, default 40): actors inline, in worker threads and in a\nchild process exchange msgpack messages; one crashes on purpose and its supervisor restarts it. Narrates what\nthe supervisors do.`,
    load: () => import('./demo.ts'),
  },
  eval: {
    summary: 'eval CONFIG --bench FILE.jsonl [--checkpoint RUN_DIR]   CRUXEval-format benchmark, greedy',
    help: `usage: azr eval CONFIG --bench FILE.jsonl [--checkpoint RUN_DIR]\n\nScores a CRUXEval-format benchmark ({id, code, input, output} per line) with the config's policy, greedy:\noutput prediction (the deduction mode) and input prediction (the abduction mode), each judged by the executor.\n  --bench FILE.jsonl     the benchmark\n  --checkpoint RUN_DIR   the policy of that run's latest checkpoint (default: the config's initial weights)\nLast line: one JSON object with the figures.`,
    load: () => import('./eval.ts'),
  },
  export: {
    summary: 'export RUN_DIR --out DIR [--dtype f32|bf16|f16]   the trained policy as a Hugging Face folder',
    load: () => import('./export.ts'),
  },
  node: {
    summary:
      'node --config FILE --roles a,b [--nats URL] [--id NAME]   join a distributed run, serve those actors',
    help: `usage: azr node --config FILE --roles ROLE[,ROLE…] [--id NAME] [--verbose] [--nats URL] [credentials]\n\nJoins a distributed run (docs/distributed.md) and serves the named remote actors (host: remote in the config)\nuntil the head says the run is done.\n  --roles a,b      the remote actors to serve\n  --id NAME        this node's name (default: HOST-PID)\n  --nats URL       the NATS server (default: the config's nats.url)\n  credentials      --nats-user USER --nats-pass PASS | --nats-secrets FILE | --nats-nkey FILE | --nats-creds FILE`,
    load: () => import('./node.ts'),
  },
  'nats-config': {
    summary:
      'nats-config --config FILE [--listen HOST:PORT] [--store DIR] [--secrets FILE]   nats-server config',
    help: `usage: azr nats-config --config FILE [--listen HOST:PORT] [--store DIR] [--secrets FILE]\n\nPrints a nats-server configuration for the run: an account of its own, a user for the head and one per remote\nrole, each allowed only its own subjects. Passwords come from the secrets file, or are made and written there\n(mode 0600) when it is new.`,
    load: () => import('./nats-config.ts'),
  },
  report: {
    summary: 'report RUN_DIR            write RUN_DIR/report.html with learning curves',
    load: () => import('./report.ts'),
  },
  setup: {
    summary:
      'setup [--for run|test] [--check]   check (and install) bubblewrap, python3, OpenBLAS, nats-server',
    load: () => import('./setup.ts'),
  },
  topology: {
    summary: 'topology check CONFIG     validate a topology file and print its actor tree',
    load: () => import('./topology.ts'),
  },
  validate: {
    summary: 'validate FILE.jsonl [--mode python|js]   AZR validation of {id, code, input} lines',
    help: `usage: azr validate FILE.jsonl [--mode python|js] [--sandbox bwrap|none] [--timeout MS] [--workers N]\n\nAZR validation of {id, code, input} lines ({id, code, inputs, message} for induction) — FILE or - for stdin —\nin the sandbox: one {id, valid, output, reason} line per input line, same order. A line that cannot be read\nis answered in place with {id, line, error}, and the command then exits 2.`,
    load: () => import('./validate.ts'),
  },
  verify: {
    summary: 'verify FILE.jsonl         check answers, one {id, correct, reason} line each',
    help: `usage: azr verify FILE.jsonl [--sandbox bwrap|none] [--timeout MS] [--workers N]\n\nChecks answers, lines {id, type: deduction|abduction|induction, code, input, output, answer} (induction:\ninputs and outputs lists), in the sandbox: one {id, correct, reason} line each, same order. A line that cannot\nbe read is answered in place with {id, line, error}, and the command then exits 2.`,
    load: () => import('./verify.ts'),
  },
};

export function usage(): string {
  return [
    'usage: azr <command> [arguments]',
    '',
    ...Object.values(commands).map((c) => `  azr ${c.summary}`),
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    console.error(`azr: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const end = args.indexOf('--');
  const asksHelp = (end < 0 ? args : args.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
  if (asksHelp && command.help) {
    console.log(command.help);
    return 0;
  }
  try {
    return await (await command.load()).run(args);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 2;
    }
    console.error(`azr ${name}: ${(error as Error).stack ?? error}`);
    return 1;
  }
}
