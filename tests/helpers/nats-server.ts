// A real nats-server with JetStream for the distributed tests: a free port on 127.0.0.1, a temporary store, and
// the run's users and permissions from `azr nats-config`. Waits until it accepts connections; `stop()` ends it.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { azrOk } from './azr.ts';

export interface NatsServer {
  url: string;
  /** The users' passwords (`--nats-secrets`). */
  secrets: string;
  passwords: Record<string, string>;
  /** SIGKILLs the server, keeping its port and store for `start`. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and store. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startNats(topology: string): Promise<NatsServer> {
  const dir = await mkdtemp(join(tmpdir(), 'azr-nats-'));
  const port = await freePort();
  const secrets = join(dir, 'secrets.json');
  const { stdout } = await azrOk(
    'nats-config',
    '--config',
    topology,
    '--listen',
    `127.0.0.1:${port}`,
    '--store',
    join(dir, 'store'),
    '--secrets',
    secrets,
  );
  await writeFile(join(dir, 'server.conf'), stdout);
  const launch = async () => {
    const server = spawn(
      'nats-server',
      ['-js', '-a', '127.0.0.1', '-p', String(port), '-c', join(dir, 'server.conf')],
      {
        stdio: process.env.AZR_NATS_LOG ? 'inherit' : 'ignore',
      },
    );
    const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
    for (let i = 0; !(await accepts(port)); i++) {
      if (server.exitCode !== null || i > 500) throw new Error(`nats-server did not start on port ${port}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return { server, exited };
  };
  let current = await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    secrets,
    passwords: JSON.parse(await readFile(secrets, 'utf8')),
    async kill() {
      current.server.kill('SIGKILL');
      await current.exited;
    },
    async start() {
      current = await launch();
    },
    async stop() {
      current.server.kill('SIGTERM');
      await current.exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
