// The `azr` command. Each command lives in a module of its own that exports `run(args): Promise<exit code>`.
// Exit codes: 0 done, 1 runtime failure, 2 bad input (config, file, arguments).
import { ConfigError } from '../topology/index.ts';

type Command = { summary: string; load: () => Promise<{ run(args: string[]): Promise<number> }> };

const commands: Record<string, Command> = {
  run: {
    summary:
      'run CONFIG [--steps N] [--max-minutes M] [--out DIR] [--resume DIR] [--seed S] [--set PATH=VALUE]   self-play',
    load: () => import('./run.ts'),
  },
  demo: {
    summary: 'demo                      run the runtime demo topology',
    load: () => import('./demo.ts'),
  },
  eval: {
    summary: 'eval CONFIG --bench FILE.jsonl [--checkpoint RUN_DIR]   CRUXEval-format benchmark, greedy',
    load: () => import('./eval.ts'),
  },
  export: {
    summary: 'export RUN_DIR --out DIR [--dtype f32|bf16|f16]   the trained policy as a Hugging Face folder',
    load: () => import('./export.ts'),
  },
  node: {
    summary:
      'node --config FILE --roles a,b [--nats URL] [--id NAME]   join a distributed run, serve those actors',
    load: () => import('./node.ts'),
  },
  'nats-config': {
    summary:
      'nats-config --config FILE [--listen HOST:PORT] [--store DIR] [--secrets FILE]   nats-server config',
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
    load: () => import('./validate.ts'),
  },
  verify: {
    summary: 'verify FILE.jsonl         check answers, one {id, correct, reason} line each',
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
