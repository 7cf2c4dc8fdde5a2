// The NATS flags of `azr run` and `azr node`, and what they mean as the library's NatsOptions (src/run/nats.ts).
import type { HeadOptions, NatsHead } from '../runtime/nats-head.ts';
import type { NatsSettings } from '../runtime/nats-wire.ts';
import type { LoadedTopology } from '../topology/index.ts';
import * as nats from '../run/nats.ts';

export { natsSection, remoteActors, runFingerprint, type RemoteActor, type Section } from '../run/nats.ts';

export const natsFlags = {
  nats: { type: 'string' },
  'nats-user': { type: 'string' },
  'nats-pass': { type: 'string' },
  'nats-nkey': { type: 'string' },
  'nats-creds': { type: 'string' },
  'nats-secrets': { type: 'string' },
} as const;

export const natsUsage =
  '[--nats URL] [--nats-user USER --nats-pass PASS | --nats-secrets FILE | --nats-nkey FILE | --nats-creds FILE]';

export type NatsFlagValues = Partial<Record<keyof typeof natsFlags, string>>;

export const natsOptions = (flags: NatsFlagValues): nats.NatsOptions => ({
  url: flags.nats,
  user: flags['nats-user'],
  pass: flags['nats-pass'],
  secretsFile: flags['nats-secrets'],
  nkeyFile: flags['nats-nkey'],
  credsFile: flags['nats-creds'],
});

/** Connection settings for `user`: flags first, then AZR_NATS_* variables, then the topology. */
export const natsSettings = (
  loaded: LoadedTopology,
  flags: NatsFlagValues,
  defaultUser: string,
): Promise<NatsSettings> => nats.natsSettings(loaded, natsOptions(flags), defaultUser);

/** Connects as the head of the topology's run and lays out its queues. */
export const startHead = (
  loaded: LoadedTopology,
  flags: NatsFlagValues,
  extra: Pick<HeadOptions, 'log' | 'ledger'> & { seed?: number },
): Promise<NatsHead> => nats.startHead(loaded, natsOptions(flags), extra);
