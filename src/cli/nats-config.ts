// `azr nats-config --config FILE [--listen HOST:PORT] [--store DIR] [--secrets FILE]`: prints a nats-server
// configuration for the run: an account of its own, a user for the head and one per remote role, each limited to
// its own subjects. Passwords are read from the secrets file, or made and written there (mode 0600) if it is new.
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { natsServerConfig, runNames } from '../runtime/nats-subjects.ts';
import { parseCommand, stringFlag } from './args.ts';
import { loadConfig } from '../run/load.ts';
import { remoteActors } from './nats.ts';

const usage = 'usage: azr nats-config --config FILE [--listen HOST:PORT] [--store DIR] [--secrets FILE]';

const options = { config: stringFlag, listen: stringFlag, store: stringFlag, secrets: stringFlag };

export async function run(args: string[]): Promise<number> {
  const parsed = parseCommand('nats-config', usage, { args, options });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  if (!values.config) {
    console.error(usage);
    return 2;
  }
  const loaded = await loadConfig(values.config);
  const remote = remoteActors(loaded.topology);
  if (remote.length === 0) {
    console.error(`azr nats-config: ${values.config} has no actor on host "remote"`);
    return 2;
  }
  const names = runNames(loaded.topology.name);
  const roles = [...new Set(remote.map((a) => a.role))].map((role) => ({
    role,
    actors: remote.filter((a) => a.role === role).map((a) => a.name),
  }));
  const users = [names.headUser, ...roles.map((r) => names.user(r.role))];
  const secretsFile = resolve(values.secrets ?? `azr-${names.run}-secrets.json`);
  let passwords: Record<string, string> = {};
  try {
    passwords = JSON.parse(await readFile(secretsFile, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      console.error(`azr nats-config: ${secretsFile}: ${(error as Error).message}`);
      return 2;
    }
  }
  const missing = users.filter((u) => !passwords[u]);
  // Hex: a password never starts with '-', which `--nats-pass PASS` on a command line would read as an option.
  for (const user of missing) passwords[user] = randomBytes(24).toString('hex');
  if (missing.length > 0) {
    await writeFile(secretsFile, `${JSON.stringify(passwords, null, 2)}\n`, { mode: 0o600 });
    console.error(`azr nats-config: passwords of ${missing.join(', ')} written to ${secretsFile}`);
  }
  process.stdout.write(
    natsServerConfig(names, {
      listen: values.listen ?? '0.0.0.0:4222',
      storeDir: resolve(values.store ?? `nats-${names.run}`),
      passwords,
      roles,
    }),
  );
  return 0;
}
