// Reading a command's arguments the way every `azr` command answers them: a flag it does not know, or a value
// of the wrong kind, prints "azr COMMAND: <problem>" and the usage line on stderr and exits 2 (main.ts's codes).
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { AzrError } from '../errors.ts';

/** parseArgs options: a flag with a value, a flag alone. */
export const stringFlag = { type: 'string' } as const;
export const booleanFlag = { type: 'boolean' } as const;

/** What parseArgs makes of `config`. */
export type Parsed<T extends ParseArgsConfig> = ReturnType<typeof parseArgs<T>>;

/**
 * parseArgs for `azr COMMAND`. Returns the parsed arguments, or an exit code when the command is answered
 * already: 2 after a bad argument (told on stderr with `usage`), 0 after `--help` when the command has a
 * `help` option and text (printed on stdout).
 */
export function parseCommand<T extends ParseArgsConfig>(
  command: string,
  usage: string,
  config: T,
  help?: string,
): Parsed<T> | number {
  let parsed: Parsed<T>;
  try {
    parsed = parseArgs(config);
  } catch (error) {
    console.error(`azr ${command}: ${(error as Error).message}\n${usage}`);
    return 2;
  }
  if (help !== undefined && (parsed.values as { help?: unknown }).help) {
    console.log(help);
    return 0;
  }
  return parsed;
}

/** Bad input: the command prints the message and exits with 2. */
export class UsageError extends AzrError {
  constructor(message: string) {
    super('USAGE', message);
  }
}
